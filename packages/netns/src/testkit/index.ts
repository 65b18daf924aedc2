/**
 * `@tscni/netns/testkit`: throwaway namespaces and ways to run a plugin
 * against them, for plugin authors' tests.
 */
export { createTestNetns, removeAllTestNetns, liveTestNetns } from "./namespaces.js";
export type { TestNetns } from "./namespaces.js";
export { execPluginBinary, runInProcess, cniEnv } from "./run.js";
export type { ExecPluginBinaryOptions, InProcessRunner, PluginInvocation, RunOutput } from "./run.js";
export { requireNetns } from "./require.js";
export { GO_PLUGIN_DIR, PLUGIN_VERSIONS, cnitool, goSpeaks, leases, ping, supportsCheck, workspace, workspacePool } from "./workspace.js";
export type { ToolRun, Workspace, WorkspaceOptions } from "./workspace.js";
