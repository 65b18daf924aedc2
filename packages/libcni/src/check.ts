import { CniError, ErrorCode, toCniError } from "@tscni/types";
import { versionAtLeast } from "@tscni/version";
import { readCachedResult } from "./cache.js";
import type { NetworkConfigList } from "./conf.js";
import { pluginFailed, runWithoutResult, type CallOptions, type Context } from "./context.js";
import { validateAttachment } from "./names.js";
import { attachmentEnv, buildPluginStdin, type RuntimeConf } from "./runtime-conf.js";

/** True when `version` (a config's, "" meaning 0.1.0) is at least `min`; an unparseable version is an error. */
export function listVersionAtLeast(list: NetworkConfigList, min: string): boolean {
  try {
    return versionAtLeast(list.cniVersion || "0.1.0", min);
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `network ${JSON.stringify(list.name)} has an invalid cniVersion ${JSON.stringify(list.cniVersion)}`, (e as Error).message);
  }
}

/**
 * CHECK: every plugin in order, each given the cached ADD result. A list
 * below 0.4.0 cannot be checked; `disableCheck` skips it; a corrupt cache is
 * an error (CHECK must not pass on a state it cannot see).
 */
export async function checkNetworkList(ctx: Context, list: NetworkConfigList, rt: RuntimeConf, opts: CallOptions = {}): Promise<void> {
  if (!listVersionAtLeast(list, "0.4.0")) {
    throw new CniError(ErrorCode.IncompatibleVersion, `configuration version ${JSON.stringify(list.cniVersion)} does not support the CHECK command`);
  }
  if (list.disableCheck) return;
  validateAttachment(list.name, rt.containerId, rt.ifName);
  let cached;
  try {
    cached = await readCachedResult(ctx.cacheDir, list.name, list.cniVersion, rt);
  } catch (e) {
    const inner = toCniError(e);
    throw new CniError(inner.code, `failed to get network ${JSON.stringify(list.name)} cached result: ${inner.msg}`, inner.details, { cause: e });
  }
  const env = attachmentEnv("CHECK", rt, ctx.path, ctx.env);
  for (const plugin of list.plugins) {
    try {
      await runWithoutResult(ctx, plugin, buildPluginStdin(list.name, list.cniVersion, plugin, cached, rt), env, opts);
    } catch (e) {
      throw pluginFailed(plugin, "check", e);
    }
  }
}
