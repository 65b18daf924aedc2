export {
  ALL_VERSIONS,
  parseVersion,
  compareVersions,
  versionAtLeast,
  pluginSupports,
  versionsStartingFrom,
  newestSupported,
  declaredVersionInfo,
} from "./version.js";
export type { DeclaredVersions, PluginInfo, PluginSupport } from "./version.js";
export { reconcile, checkVerbAllowed } from "./reconcile.js";
export { configVersionOf, decodeConfigVersion, versionAnswer, decodePluginInfo } from "./decode.js";
