/**
 * `@tscni/skel/internal`: what other tscni packages need from skel and a
 * plugin author does not. No stability promise beyond the monorepo's own
 * versions.
 *
 * `dispatch` lives here, not at the root: like Go's private dispatcher, it is
 * the machinery behind `pluginMain` (a process) and `runPlugin` (a test);
 * an author calls one of those two and never needs a `DispatchIO`. The
 * daemon hosts plugins through the capture hook, and tests of the SDK drive
 * `dispatch` directly.
 */
export { dispatch } from "./dispatch.js";
export type { DispatchIO } from "./dispatch.js";
export { PLUGIN_CAPTURE_HOOK } from "./plugin-main.js";
export type { PluginCapture } from "./plugin-main.js";
export { requiredVariables } from "./env.js";
