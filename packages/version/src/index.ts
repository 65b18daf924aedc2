export {
  ALL_VERSIONS,
  parseVersion,
  compareVersions,
  versionAtLeast,
  pluginSupports,
  versionsStartingFrom,
  newestSupported,
} from "./version.js";
export type { PluginInfo } from "./version.js";
export { MIN_VERSION_FOR, reconcile, checkVerbAllowed } from "./reconcile.js";
export { decodeConfigVersion, versionAnswer, decodePluginInfo } from "./decode.js";
