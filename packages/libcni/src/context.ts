/** What every operation shares: where plugins are, where the cache is, and how one plugin is run. */
import { execPlugin, execPluginWithResult, findInPath, type Env, type ExecPluginOptions } from "@tscni/invoke";
import { CniError, ErrorCode, type AnyResult } from "@tscni/types";
import type { PluginConfig } from "./conf.js";

export interface Context {
  readonly path: readonly string[];
  readonly cacheDir: string;
  readonly env: Env;
  readonly timeoutMs: number | undefined;
  readonly onStderr: (text: string, pluginType: string) => void;
}

export interface CallOptions {
  /** Cancels the operation; the running plugin is killed. */
  signal?: AbortSignal;
}

/** Go's wording, so logs read the same whichever runtime wrote them; the inner code is kept. */
export function pluginFailed(plugin: PluginConfig, action: string, e: unknown): CniError {
  const name = typeof plugin.network.name === "string" && plugin.network.name ? ` name=${JSON.stringify(plugin.network.name)}` : "";
  const inner = e instanceof CniError ? e : new CniError(ErrorCode.Internal, e instanceof Error ? e.message : String(e));
  return new CniError(inner.code, `plugin type=${JSON.stringify(plugin.network.type)}${name} failed (${action}): ${inner.msg}`, inner.details, {
    cause: inner,
  });
}

function execOptions(ctx: Context, plugin: PluginConfig, stdin: string, env: Env, opts: CallOptions): ExecPluginOptions {
  return {
    pluginPath: findInPath(plugin.network.type, ctx.path),
    stdin,
    env,
    onStderr: (text) => ctx.onStderr(text, plugin.network.type),
    ...(opts.signal && { signal: opts.signal }),
    ...(ctx.timeoutMs !== undefined && { timeoutMs: ctx.timeoutMs }),
  };
}

export async function runForResult(ctx: Context, plugin: PluginConfig, stdin: string, env: Env, opts: CallOptions): Promise<AnyResult> {
  return execPluginWithResult(execOptions(ctx, plugin, stdin, env, opts));
}

/** DEL, CHECK, GC and STATUS: stdout is not read. */
export async function runWithoutResult(ctx: Context, plugin: PluginConfig, stdin: string, env: Env, opts: CallOptions): Promise<void> {
  await execPlugin(execOptions(ctx, plugin, stdin, env, opts));
}
