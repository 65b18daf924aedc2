import type { AnyResult } from "@tscni/types";
import { deleteCacheEntry, readCachedResult } from "./cache.js";
import { listVersionAtLeast } from "./check.js";
import type { NetworkConfigList } from "./conf.js";
import { pluginFailed, runWithoutResult, type CallOptions, type Context } from "./context.js";
import { validateAttachment } from "./names.js";
import { attachmentEnv, buildPluginStdin, type RuntimeConf } from "./runtime-conf.js";

/**
 * DEL: plugins in reverse order, each given the cached ADD result (0.4.0 and
 * later). A cache file that cannot be read or converted never blocks a DEL:
 * it is removed and the plugins run without prevResult, which they must
 * tolerate. The first plugin failure stops the DEL and keeps the cache, so a
 * retried DEL still has the result (as Go libcni); success removes the cache.
 */
export async function delNetworkList(ctx: Context, list: NetworkConfigList, rt: RuntimeConf, opts: CallOptions = {}): Promise<void> {
  validateAttachment(list.name, rt.containerId, rt.ifName);
  let cached: AnyResult | undefined;
  if (listVersionAtLeast(list, "0.4.0")) {
    try {
      cached = await readCachedResult(ctx.cacheDir, list.name, list.cniVersion, rt);
    } catch {
      await deleteCacheEntry(ctx.cacheDir, list.name, rt).catch(() => {});
      cached = undefined;
    }
  }
  const env = attachmentEnv("DEL", rt, ctx.path, ctx.env);
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await runWithoutResult(ctx, plugin, buildPluginStdin(list.name, list.cniVersion, plugin, cached, rt), env, opts);
    } catch (e) {
      throw pluginFailed(plugin, "delete", e);
    }
  }
  await deleteCacheEntry(ctx.cacheDir, list.name, rt).catch(() => {});
}
