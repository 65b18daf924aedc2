export { pluginMain } from "./plugin-main.js";
export { definePlugin } from "./plugin.js";
export { lazySchema } from "./lazy-schema.js";
export { UndoStack } from "./undo.js";
export { requirePrevResult, type PrevResultSource } from "./prev-result.js";
export type {
  AnyPlugin,
  ArgsOf,
  CmdArgs,
  InvalidConfigDelArgs,
  ConfigOf,
  Plugin,
  PluginHandlers,
  PluginOptions,
  ResultInput,
  SupportedVersions,
} from "./plugin.js";
export { createLogger, LOG_LEVELS, DEFAULT_LOG_LEVEL } from "./logger.js";
export type { Logger, LoggerOptions, LogLevel } from "./logger.js";
export type { StdinSource } from "./stdin.js";
export { CniError, ErrorCode } from "@tscni/types";
export type { StandardSchemaV1 } from "@tscni/types";
