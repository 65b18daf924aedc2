/**
 * `@tscni/netns/internal`: pieces the package is built from that a plugin
 * author does not call (error classification, route parsing, MAC and sysctl
 * helpers, the container comparison behind verifyContainer). No stability
 * promise beyond the monorepo's own versions.
 */
export { kindFromStderr } from "./errors.js";
export { parseRoutes } from "./ip-json.js";
export type { RouteEntry } from "./ip-json.js";
export { netnsState, randomMac } from "./namespace.js";
export type { NetnsState } from "./namespace.js";
export { sysctlPath } from "./names.js";
export { containerProblems } from "./verify.js";
export type { ContainerView } from "./verify.js";
