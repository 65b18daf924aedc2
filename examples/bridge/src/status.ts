import { delegateGC, delegateStatus } from "@tscni/invoke";
import { assertToolsInstalled } from "@tscni/netns";
import type { BridgeArgs } from "./add.js";
import { masqueradeTable } from "./masquerade.js";

/** Ready when iproute2 and nsenter are installed and the IPAM plugin (if any) says it is ready. */
export async function status(args: BridgeArgs): Promise<void> {
  assertToolsInstalled(args.config.ipMasq === true ? ["ip", "nsenter", "nft"] : undefined);
  if (args.config.ipam?.type) await delegateStatus(args.config.ipam.type, args.stdin);
}

/**
 * GC: with ipMasq, the masquerade rules of attachments the runtime no longer
 * has; then the IPAM plugin's own (spec: GC is forwarded to delegates).
 */
export async function gc(args: BridgeArgs): Promise<void> {
  if (args.config.ipMasq === true) {
    const removed = await masqueradeTable().collect(args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname })));
    if (removed > 0) args.log.info(`gc removed ${removed} masquerade rule(s) of stale attachments`);
  }
  if (args.config.ipam?.type) await delegateGC(args.config.ipam.type, args.stdin);
}
