/**
 * `@tscni/types/internal`: what the SDK's own packages share and a plugin
 * author does not need: the hand-written validators skel runs on every exec,
 * the issue formatter behind every "invalid ..." message, result printing in a
 * given version, and the verb table's minimum versions. No stability promise
 * beyond the monorepo's own versions.
 */
export { VERB_MIN_VERSION } from "./model.js";
export { validateNetConf, resultModelIssues } from "./checks.js";
export type { NetConfValidation } from "./checks.js";
export { formatIssues, formatPath, describeValue } from "./issues.js";
export type { IssueLike } from "./issues.js";
export { resultForVersion, ipFamily } from "./result.js";
