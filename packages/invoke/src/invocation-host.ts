/**
 * A process that serves several CNI invocations at once (the tscni daemon) or
 * holds the delegate's code itself (a multi-call executable) registers a host
 * under a global symbol. invoke then:
 *  - takes a delegate's environment from the invocation running now, not from
 *    process.env (which belongs to the daemon, not to any one request);
 *  - lets the host run a delegate in this process when the file found in
 *    CNI_PATH is one it serves. The host answers as the exec would: exit
 *    status and the exact stdout bytes, which invoke then parses exactly as an
 *    exec's. `TSCNI_DELEGATE_EXEC=1` in the invocation's environment forces the exec.
 * Exec mode registers nothing and nothing changes.
 */
import type { Env } from "./env.js";

export const INVOCATION_HOST_KEY = "tscni.invocationHost";

export interface InProcessRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export interface InvocationHost {
  /** The environment of the invocation this call belongs to, if the host knows it. */
  env(): Env | undefined;
  /** Runs the plugin at `pluginPath` in process, or returns undefined when it must be exec'd. */
  run?(request: { pluginPath: string; env: Env; stdin: string | Uint8Array }): Promise<InProcessRun> | undefined;
}

export function invocationHost(): InvocationHost | undefined {
  return (globalThis as Record<symbol, InvocationHost | undefined>)[Symbol.for(INVOCATION_HOST_KEY)];
}

/**
 * The environment of the CNI invocation this code runs for: the request's in
 * the tscni daemon (process.env is the daemon's own there), process.env in an
 * exec'd plugin. Plugins that read settings from the environment read them
 * here, so they answer the same in both modes.
 */
export function invocationEnv(): Env {
  return invocationHost()?.env() ?? process.env;
}

/** The in-process run of this exec, when a host offers one and exec is not forced. */
export function inProcessRun(request: { pluginPath: string; env: Env; stdin: string | Uint8Array }): Promise<InProcessRun> | undefined {
  if (request.env.TSCNI_DELEGATE_EXEC === "1") return undefined;
  return invocationHost()?.run?.(request);
}
