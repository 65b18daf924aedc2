/**
 * `@tscni/skel/testing`: run a plugin definition in process, as a runtime
 * would exec it, and look at what it printed.
 *
 *   const run = await runPlugin(plugin, { env: { CNI_COMMAND: "ADD", ... }, stdin: config });
 *   expect(run.exitCode).toBe(0);
 *   expect(run.json).toMatchObject({ cniVersion: "1.1.0" });
 */
import { dispatch } from "./guard.js";
import type { DispatchIO } from "./dispatch.js";
import type { AnyPlugin } from "./plugin.js";
import type { StdinSource } from "./stdin.js";

export interface RunPluginOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** A string or Buffer, or an object that is JSON-encoded. Default "". */
  stdin?: StdinSource | object;
  /** Overrides the namespace the guard compares CNI_NETNS with (default /proc/self/ns/net). */
  ownNetnsPath?: string;
}

export interface InProcessRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON; undefined when stdout is empty. */
  json: unknown;
}

export async function runPlugin(plugin: AnyPlugin, options: RunPluginOptions): Promise<InProcessRun> {
  let stdout = "";
  let stderr = "";
  const input = options.stdin ?? "";
  const stdin =
    typeof input === "string" || typeof input === "function" || Buffer.isBuffer(input)
      ? (input as StdinSource)
      : JSON.stringify(input);
  const io: DispatchIO = {
    env: options.env,
    stdin,
    stdout: (chunk) => {
      stdout += chunk;
    },
    stderr: (chunk) => {
      stderr += chunk;
    },
    ...(options.ownNetnsPath !== undefined && { ownNetnsPath: options.ownNetnsPath }),
  };
  const exitCode = await dispatch(plugin, io);
  return { exitCode, stdout, stderr, json: stdout.trim() === "" ? undefined : JSON.parse(stdout) };
}
