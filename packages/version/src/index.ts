export {
  ALL_VERSIONS,
  parseVersion,
  compareVersions,
  versionAtLeast,
  pluginSupports,
  versionsStartingFrom,
  newestSupported,
} from "./version.js";
export type { PluginInfo, PluginSupport } from "./version.js";
export { reconcile, checkVerbAllowed } from "./reconcile.js";
export { configVersionOf, decodeConfigVersion, versionAnswer, decodePluginInfo } from "./decode.js";
