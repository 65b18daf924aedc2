import { delegateDel } from "@tscni/invoke";
import { openNetnsForDel } from "@tscni/netns";
import type { PtpArgs } from "./add.js";

/**
 * Best effort and idempotent: the container end goes (taking the host end,
 * its gateway address and host route with it), then IPAM releases the
 * addresses, whatever happened to the first step. A namespace that is gone
 * or an interface already deleted is success.
 */
export async function del(args: PtpArgs): Promise<void> {
  let linkError: unknown;
  try {
    const container = await openNetnsForDel(args.netns, { onSkip: (why) => args.log.debug(`no link to delete: ${why}`) });
    await container?.deleteLink(args.ifName);
  } catch (e) {
    linkError = e;
  }
  await delegateDel(args.config.ipam.type, args.stdin);
  if (linkError !== undefined) throw linkError;
}
