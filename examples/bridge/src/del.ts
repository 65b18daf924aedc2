import { delegateDel } from "@tscni/invoke";
import { deleteLinkForDel } from "@tscni/netns";
import type { BridgeArgs } from "./config.js";
import { attachmentOf, masqueradeTable } from "./masquerade.js";

/**
 * Best effort and idempotent: the container end goes (its host peer leaves
 * the bridge with it), then IPAM releases the addresses whatever happened to
 * the first step. The bridge stays: other containers may use it.
 */
export async function del(args: BridgeArgs): Promise<void> {
  // Only what DEL needs is read: a config ADD refused must still be deletable.
  const ipamType = args.config.ipam?.type || undefined;
  try {
    await deleteLinkForDel(args.netns, args.ifName, { onSkip: (why) => args.log.debug(`no link to delete: ${why}`) });
    if (args.config.ipMasq === true) await masqueradeTable().remove(attachmentOf(args));
  } finally {
    if (ipamType !== undefined) await delegateDel(ipamType, args.stdin);
  }
}
