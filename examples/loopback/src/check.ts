import { openNetns } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import { LOOPBACK, requireLoopbackName } from "./config.js";

export async function check(args: CmdArgs): Promise<void> {
  requireLoopbackName(args);
  const ns = await openNetns(args.netns);
  const lo = await ns.link(LOOPBACK);
  if (!lo) throw new CniError(ErrorCode.Internal, `no ${LOOPBACK} interface in ${ns}`);
  if (!lo.up) throw new CniError(ErrorCode.Internal, `${LOOPBACK} is down in ${ns}`, "ADD brings it up; something set it down since");
}
