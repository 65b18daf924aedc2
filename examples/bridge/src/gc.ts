import { delegateGC } from "@tscni/invoke";
import type { BridgeArgs } from "./config.js";
import { masqueradeTable } from "./masquerade.js";

/**
 * GC: with ipMasq, the masquerade rules of attachments the runtime no longer
 * has; then the IPAM plugin's own (SPEC.md §2 GC: forwarded to delegates).
 */
export async function gc(args: BridgeArgs): Promise<void> {
  if (args.config.ipMasq === true) {
    const removed = await masqueradeTable().collect(args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname })));
    if (removed > 0) args.log.info(`gc removed ${removed} masquerade rule(s) of stale attachments`);
  }
  if (args.config.ipam?.type) await delegateGC(args.config.ipam.type, args.stdin);
}
