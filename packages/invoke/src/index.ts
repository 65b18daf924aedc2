export { findInPath, splitCniPath } from "./find.js";
export { buildPluginEnv, joinCniArgs, type CniEnvVars, type Env } from "./env.js";
export { execPlugin, PluginExecError, type ExecPluginOptions, type ExecOutput } from "./exec.js";
export { execPluginWithResult, parsePluginResult } from "./result.js";
export {
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGC,
  delegateStatus,
  type DelegateConfig,
  type DelegateOptions,
} from "./delegate.js";
export { allocateAddresses, chooseDns, type UndoSteps } from "./ipam.js";
export { INVOCATION_HOST_KEY, invocationEnv, invocationHost, type InvocationHost, type InProcessRun } from "./invocation-host.js";
export { getVersionInfo, type VersionInfoOptions } from "./version-info.js";
