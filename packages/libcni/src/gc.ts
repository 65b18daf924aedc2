import { CniError, toCniError, type Attachment } from "@tscni/types";
import { listCachedAttachments, removeAbandonedTempFiles, type CachedAttachment } from "./cache.js";
import { listVersionAtLeast } from "./check.js";
import type { NetworkConfigList } from "./conf.js";
import { pluginFailed, runWithoutResult, type CallOptions, type Context } from "./context.js";
import { delNetworkList } from "./del.js";
import { buildPluginStdin, networkEnv } from "./runtime-conf.js";

export interface GCArgs {
  /** The attachments still in use; every other cached attachment of the network is deleted. */
  validAttachments?: readonly Attachment[];
}

function isValid(att: CachedAttachment, valid: readonly Attachment[] | undefined): boolean {
  return (valid ?? []).some((v) => v.containerID === att.containerId && v.ifname === att.ifName);
}

/**
 * GC: first a full DEL (with the cached netns, args and capability args) of
 * every cached attachment of this network that is not valid, then, for
 * 1.1.0 lists, GC to every plugin with the valid attachments. Work continues
 * past each failure; all failures are reported together at the end. Also
 * removes cache temp files a crashed writer abandoned. Without
 * `args` every cached attachment counts as stale (what cnitool's gc does).
 */
export async function gcNetworkList(ctx: Context, list: NetworkConfigList, args: GCArgs | undefined, opts: CallOptions = {}): Promise<void> {
  if (list.disableGC) return;
  await removeAbandonedTempFiles(ctx.cacheDir);
  const errors: CniError[] = [];
  let cached: CachedAttachment[] = [];
  try {
    cached = await listCachedAttachments(ctx.cacheDir);
  } catch (e) {
    errors.push(toCniError(e));
  }
  for (const att of cached) {
    if (att.networkName !== list.name || isValid(att, args?.validAttachments)) continue;
    try {
      await delNetworkList(
        ctx,
        list,
        {
          containerId: att.containerId,
          ifName: att.ifName,
          ...(att.netns !== undefined && { netns: att.netns }),
          ...(att.cniArgs && { args: att.cniArgs }),
          ...(att.capabilityArgs && { capabilityArgs: att.capabilityArgs }),
        },
        opts,
      );
    } catch (e) {
      const inner = toCniError(e);
      errors.push(new CniError(inner.code, `failed to delete stale attachment ${att.containerId} ${att.ifName}: ${inner.msg}`, inner.details));
    }
  }
  if (listVersionAtLeast(list, "1.1.0")) {
    // Both keys: plugins written against the 1.1.0 tag read the old one.
    const extra =
      args !== undefined
        ? { "cni.dev/valid-attachments": args.validAttachments ?? [], "cni.dev/attachments": args.validAttachments ?? [] }
        : undefined;
    const env = networkEnv("GC", ctx.path, ctx.env);
    for (const plugin of list.plugins) {
      try {
        await runWithoutResult(ctx, plugin, buildPluginStdin(list.name, list.cniVersion, plugin, undefined, undefined, extra), env, opts);
      } catch (e) {
        errors.push(pluginFailed(plugin, "gc", e));
      }
    }
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) {
    throw new CniError(errors[0]!.code, `${errors.length} errors during GC of network ${JSON.stringify(list.name)}`, errors.map((e) => e.message).join("\n"));
  }
}
