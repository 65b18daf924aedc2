export { CniRuntime, type CniRuntimeOptions } from "./runtime.js";
export type { CallOptions } from "./context.js";
export type { GCArgs } from "./gc.js";
export type { RuntimeConf } from "./runtime-conf.js";
export { buildPluginStdin } from "./runtime-conf.js";
export {
  parseConfList,
  parseConf,
  confListFromConf,
  pluginConfFromObject,
  confFiles,
  loadConfListFile,
  loadConfFile,
  loadNetworkConfList,
  MAX_NETWORK_NAME_BYTES,
  type LoadNetworkOptions,
  type NetworkConfigList,
  type PluginConfig,
  type PluginConf,
} from "./conf.js";
export { MAX_JSON_DEPTH } from "./json.js";
export {
  DEFAULT_CACHE_DIR,
  CACHE_KIND,
  cacheFilePath,
  readCacheFile,
  listCachedAttachments,
  type CacheEntry,
  type CachedAttachment,
  type CacheRead,
} from "./cache.js";
export { validateContainerId, validateNetworkName, validateInterfaceName } from "./names.js";
