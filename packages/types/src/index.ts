export {
  SPEC_VERSIONS,
  CURRENT_VERSION,
  VERBS,
  VERB_MIN_VERSION,
  isSpecVersion,
  isVerb,
} from "./model.js";
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
export {
  netConfSchema,
  netConfListSchema,
  resultSchemaFor,
  resultShapeOf,
  errorObjectSchema,
  versionInfoSchema,
  attachmentSchema,
  dnsSchema,
  routeSchema,
} from "./schemas.js";
export type { ResultShape } from "./schemas.js";
export { validateNetConf, resultModelIssues } from "./checks.js";
export type { NetConfValidation } from "./checks.js";
export { formatIssues, formatPath, describeValue } from "./issues.js";
export type { IssueLike } from "./issues.js";
export { parseResult, convertResult, toCurrent, resultForVersion, ipFamily } from "./result.js";
export {
  isValidCniName,
  interfaceNameProblem,
  validateContainerId,
  validateInterfaceName,
  validateNetworkName,
  MAX_INTERFACE_NAME_BYTES,
} from "./names.js";
export type { InterfaceNameProblem } from "./names.js";
export { familyOf, formatIPv6, formatIPv6Groups } from "./ip-text.js";
export { parseCniArgs } from "./args.js";
export type { ParseCniArgsOptions } from "./args.js";
export type { StandardSchemaV1, StandardResult, StandardIssue, InferOutput } from "./standard-schema.js";
