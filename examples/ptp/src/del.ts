import { delegateDel } from "@tscni/invoke";
import { netnsState, openNetns } from "@tscni/netns";
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
    if (args.netns !== "" && (await netnsState(args.netns)) !== "missing") {
      await (await openNetns(args.netns)).deleteLink(args.ifName);
    }
  } catch (e) {
    linkError = e;
  }
  await delegateDel(args.config.ipam.type, args.stdin);
  if (linkError !== undefined) throw linkError;
}
