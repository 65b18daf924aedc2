import { CniError, ErrorCode, toCurrent, type Result } from "@tscni/types";
import type { Env } from "./env.js";
import { execPlugin, type ExecPluginOptions } from "./exec.js";
import { findInPath, splitCniPath } from "./find.js";
import { invocationEnv } from "./invocation-host.js";
import { execPluginWithResult } from "./result.js";

/** A delegate's network configuration: raw JSON text/bytes, or an object serialised as JSON. */
export type DelegateConfig = string | Uint8Array | object;

export interface DelegateOptions {
  /** The calling plugin's environment (default: process.env). Only CNI_COMMAND is changed. */
  env?: Env;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Where the delegate's stderr goes on success (default: this process's stderr, where a plugin's logs belong). */
  onStderr?: (text: string) => void;
}

type Verb = "ADD" | "CHECK" | "DEL" | "GC" | "STATUS";

function prepare(type: string, verb: Verb, config: DelegateConfig, opts: DelegateOptions): ExecPluginOptions {
  const env = opts.env ?? invocationEnv();
  const cniPath = env.CNI_PATH;
  if (!cniPath || splitCniPath(cniPath).length === 0) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `cannot delegate ${verb} to plugin "${type}": CNI_PATH is not set`,
      "the runtime must set CNI_PATH to the directories holding CNI plugins",
    );
  }
  const stdin = typeof config === "string" || config instanceof Uint8Array ? config : JSON.stringify(config);
  return {
    pluginPath: findInPath(type, splitCniPath(cniPath)),
    stdin,
    // Same environment as ours, verb forced: CNI_NETNS, CNI_IFNAME, CNI_ARGS... are inherited as they are.
    env: { ...env, CNI_COMMAND: verb },
    onStderr: opts.onStderr ?? ((text) => process.stderr.write(text)),
    ...(opts.signal && { signal: opts.signal }),
    ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
  };
}

/**
 * Delegates ADD (typically to an IPAM plugin, with the plugin's whole config)
 * and returns the delegate's result in the current (1.1.0) model, which is
 * what handlers work with. If a later step of your ADD fails, call delegateDel.
 */
export async function delegateAdd(type: string, config: DelegateConfig, opts: DelegateOptions = {}): Promise<Result> {
  return toCurrent(await execPluginWithResult(prepare(type, "ADD", config, opts)));
}

export async function delegateCheck(type: string, config: DelegateConfig, opts: DelegateOptions = {}): Promise<void> {
  await execPlugin(prepare(type, "CHECK", config, opts));
}

export async function delegateDel(type: string, config: DelegateConfig, opts: DelegateOptions = {}): Promise<void> {
  await execPlugin(prepare(type, "DEL", config, opts));
}

export async function delegateGC(type: string, config: DelegateConfig, opts: DelegateOptions = {}): Promise<void> {
  await execPlugin(prepare(type, "GC", config, opts));
}

export async function delegateStatus(type: string, config: DelegateConfig, opts: DelegateOptions = {}): Promise<void> {
  await execPlugin(prepare(type, "STATUS", config, opts));
}
