export { type BinariesRequest, type BinarySources, type Form, FORMS, installBinaries, type InstalledBinaries, MULTICALL_NAME } from "./binaries.js";
export { type CheckedConfig, type ConfigSource, DEFAULT_CONF_NAME, parseConfig } from "./config.js";
export { InstallError, UsageError } from "./errors.js";
export { installNode, type NodeInstallOptions } from "./install.js";
export { type NodeUninstallOptions, uninstallNode } from "./uninstall.js";
export { type InstallRecord, readRecord, RECORD_NAME } from "./record.js";
export { runCli } from "./main.js";
export { type WatchOptions, watchNode } from "./watch.js";
