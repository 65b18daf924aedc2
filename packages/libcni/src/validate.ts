import { findInPath, getVersionInfo } from "@tscni/invoke";
import { CniError, ErrorCode, type VersionInfo } from "@tscni/types";
import type { NetworkConfigList } from "./conf.js";
import type { CallOptions, Context } from "./context.js";

/** Finds a plugin in the context's path and asks it for its versions. */
export async function pluginVersionInfo(ctx: Context, type: string, opts: CallOptions = {}): Promise<VersionInfo> {
  return getVersionInfo(findInPath(type, ctx.path), {
    env: ctx.env,
    ...(opts.signal && { signal: opts.signal }),
    ...(ctx.timeoutMs !== undefined && { timeoutMs: ctx.timeoutMs }),
  });
}

/**
 * Checks that every plugin of the list is installed and supports the list's
 * version (exactly, as plugins reconcile it). All problems are reported
 * together. Returns the capabilities the plugins declare.
 */
export async function validateNetworkList(ctx: Context, list: NetworkConfigList, opts: CallOptions = {}): Promise<string[]> {
  const version = list.cniVersion || "0.1.0";
  const problems: string[] = [];
  const caps = new Set<string>();
  for (const plugin of list.plugins) {
    const type = plugin.network.type;
    try {
      const info = await pluginVersionInfo(ctx, type, opts);
      if (!info.supportedVersions.includes(version)) {
        problems.push(`plugin ${type} does not support config version ${JSON.stringify(version)} (it supports ${info.supportedVersions.join(", ")})`);
      }
    } catch (e) {
      problems.push(e instanceof CniError ? `plugin ${type}: ${e.message}` : `plugin ${type}: ${String(e)}`);
    }
    for (const [cap, on] of Object.entries(plugin.network.capabilities ?? {})) if (on) caps.add(cap);
  }
  if (problems.length) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `network ${JSON.stringify(list.name)} is not valid: ${problems.join("; ")}`);
  }
  return [...caps];
}
