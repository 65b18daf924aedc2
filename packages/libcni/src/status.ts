import type { NetworkConfigList } from "./conf.js";
import { listVersionAtLeast } from "./check.js";
import { pluginFailed, runWithoutResult, type CallOptions, type Context } from "./context.js";
import { buildPluginStdin, networkEnv } from "./runtime-conf.js";

/**
 * STATUS: each plugin in order; the first failure is returned with the
 * plugin's code (50/51 tell a runtime whether ADDs can be served). Lists
 * below 1.1.0 have no STATUS and report ready.
 */
export async function getStatusNetworkList(ctx: Context, list: NetworkConfigList, opts: CallOptions = {}): Promise<void> {
  if (!listVersionAtLeast(list, "1.1.0")) return;
  const env = networkEnv("STATUS", ctx.path, ctx.env);
  for (const plugin of list.plugins) {
    try {
      await runWithoutResult(ctx, plugin, buildPluginStdin(list.name, list.cniVersion, plugin, undefined, undefined), env, opts);
    } catch (e) {
      throw pluginFailed(plugin, "status", e);
    }
  }
}
