import { CniError, ErrorCode, convertResult, type AnyResult } from "@tscni/types";
import { writeCacheEntry } from "./cache.js";
import type { NetworkConfigList } from "./conf.js";
import { pluginFailed, runForResult, type CallOptions, type Context } from "./context.js";
import { validateAttachment } from "./names.js";
import { attachmentEnv, buildPluginStdin, type RuntimeConf } from "./runtime-conf.js";

/**
 * ADD: each plugin in order, each given the previous one's result. On a
 * failure later plugins do not run and nothing is cached; the caller is
 * expected to DEL (as with Go libcni). Returns the last plugin's result in
 * the version it printed.
 */
export async function addNetworkList(ctx: Context, list: NetworkConfigList, rt: RuntimeConf, opts: CallOptions = {}): Promise<AnyResult> {
  validateAttachment(list.name, rt.containerId, rt.ifName);
  const env = attachmentEnv("ADD", rt, ctx.path, ctx.env);
  let prev: AnyResult | undefined;
  for (const plugin of list.plugins) {
    const stdin = buildPluginStdin(list.name, list.cniVersion, plugin, prev && inListVersion(prev, list.cniVersion), rt);
    try {
      prev = await runForResult(ctx, plugin, stdin, env, opts);
    } catch (e) {
      throw pluginFailed(plugin, "add", e);
    }
  }
  // parseConfList guarantees at least one plugin. The final result is returned and cached as printed, as Go does.
  const result = prev!;
  try {
    await writeCacheEntry(ctx.cacheDir, list.name, rt, list.bytes, result);
  } catch (e) {
    const inner = e instanceof CniError ? e : undefined;
    throw new CniError(inner?.code ?? ErrorCode.IOFailure, `failed to set network ${JSON.stringify(list.name)} cached result: ${(e as Error).message}`, inner?.details);
  }
  return result;
}

/**
 * A plugin that printed another version than the list's would hand the next
 * plugin a prevResult its parser rejects (Go plugins accept only their
 * config's result family): convert it when that is possible, else pass it on
 * as printed, as Go libcni always does.
 */
function inListVersion(result: AnyResult, cniVersion: string): AnyResult {
  if (!cniVersion || result.cniVersion === cniVersion) return result;
  try {
    return convertResult(result, cniVersion);
  } catch {
    return result;
  }
}
