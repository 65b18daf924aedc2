/**
 * `@tscni/types`: what a plugin author works with. The CNI data model, the
 * error type with the spec's codes, results in any version, CNI_ARGS, and the
 * Standard Schema types. Further in subpaths: `/schemas` (the zod/mini
 * schemas of every document, to compose into a config schema or to check a
 * runtime's input), `/names` (container ID, network and interface name
 * rules), `/ip-text` (address family and IPv6 text), `/work` (handler work
 * tracking), `/internal` (what only the SDK's own packages use).
 */
export { SPEC_VERSIONS, CURRENT_VERSION, VERBS, isSpecVersion, isVerb } from "./model.js";
export type {
  SpecVersion,
  Verb,
  DNS,
  Route,
  Interface,
  IPConfig,
  Result,
  IPConfig040,
  Result040,
  IPConfig020,
  Result020,
  AnyResult,
  Attachment,
  NetConf,
  NetConfList,
  NetConfListPlugin,
  VersionInfo,
} from "./model.js";
export { ErrorCode, CniError, isCniError, toCniError } from "./errors.js";
export type { ErrorCodeName, ErrorObject } from "./errors.js";
export { parseResult, convertResult, toCurrent } from "./result.js";
export { parseCniArgs } from "./args.js";
export type { ParseCniArgsOptions } from "./args.js";
export type { StandardSchemaV1, StandardResult, StandardIssue, InferOutput } from "./standard-schema.js";
