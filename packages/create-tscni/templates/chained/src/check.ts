/** CHECK: the interface is still there and still has the configured MTU. */
import { openNetns } from "@tscni/netns";
import { CniError, ErrorCode, requirePrevResult } from "@tscni/skel";
import type { Args } from "./config.js";

export async function check(args: Args): Promise<void> {
  requirePrevResult(args);
  const ns = await openNetns(args.netns);
  const link = await ns.link(args.ifName);
  if (!link) throw new CniError(ErrorCode.InvalidEnvironment, `no interface ${args.ifName} in ${args.netns}`);
  if (link.mtu !== args.config.mtu) {
    throw new CniError(ErrorCode.InvalidEnvironment, `${args.ifName} has MTU ${link.mtu}, the config says ${args.config.mtu}`);
  }
}
