import { delegateDel } from "@tscni/invoke";
import { deleteLinkForDel } from "@tscni/netns";
import type { PtpArgs } from "./config.js";

/**
 * Best effort and idempotent: the container end goes (taking the host end,
 * its gateway address and host route with it), then IPAM releases the
 * addresses, whatever happened to the first step. A namespace that is gone
 * or an interface already deleted is success.
 */
export async function del(args: PtpArgs): Promise<void> {
  try {
    await deleteLinkForDel(args.netns, args.ifName, { onSkip: (why) => args.log.debug(`no link to delete: ${why}`) });
  } finally {
    await delegateDel(args.config.ipam.type, args.stdin);
  }
}
