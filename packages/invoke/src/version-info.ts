import { CniError, type VersionInfo } from "@tscni/types";
import { decodePluginInfo } from "@tscni/version";
import { buildPluginEnv, type Env } from "./env.js";
import { execPlugin } from "./exec.js";

export interface VersionInfoOptions {
  /** Base environment (default: process.env); the CNI_* variables are set over it. */
  env?: Env;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Asks a plugin which spec versions it supports (CNI_COMMAND=VERSION). A
 * plugin older than the VERSION command (spec 0.1.0) answers
 * `unknown CNI_COMMAND: VERSION`, which is read as support for 0.1.0 only.
 */
export async function getVersionInfo(pluginPath: string, opts: VersionInfoOptions = {}): Promise<VersionInfo> {
  // Placeholder values: very old skel versions required these even for VERSION.
  const env = buildPluginEnv({ command: "VERSION", netns: "dummy", ifName: "dummy", path: ["dummy"] }, opts.env);
  let stdout: Buffer;
  try {
    ({ stdout } = await execPlugin({
      pluginPath,
      stdin: '{"cniVersion":"1.1.0"}',
      env,
      onStderr: () => {},
      ...(opts.signal && { signal: opts.signal }),
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
    }));
  } catch (e) {
    if (e instanceof CniError && e.msg === "unknown CNI_COMMAND: VERSION") return { cniVersion: "0.1.0", supportedVersions: ["0.1.0"] };
    throw e;
  }
  return decodePluginInfo(stdout);
}
