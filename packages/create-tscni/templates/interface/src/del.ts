/**
 * DEL: the container end goes (the kernel removes the host end with it), then
 * IPAM releases the addresses, whatever happened to the first step. A missing
 * namespace or interface is success: DEL may come twice, or after a reboot.
 */
import { delegateDel } from "@tscni/invoke";
import { deleteLinkForDel } from "@tscni/netns";
import type { Args } from "./config.js";

export async function del(args: Args): Promise<void> {
  try {
    await deleteLinkForDel(args.netns, args.ifName, { onSkip: (why) => args.log.debug(`no link to delete: ${why}`) });
  } finally {
    await delegateDel(args.config.ipam.type, args.stdin);
  }
}
