/** CHECK: the host-side veth and the ifb device carry exactly the configured limits. */
import { requirePrevResult } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import { type BandwidthArgs, limitsOf } from "./config.js";
import { hostVeth, ifbName, shapingProblems } from "./shaping.js";

export async function check(args: BandwidthArgs): Promise<void> {
  requirePrevResult(args);
  const problems = await shapingProblems(await hostVeth(args), ifbName(args), limitsOf(args.config));
  if (problems.length > 0) throw new CniError(ErrorCode.Internal, `traffic of ${args.containerId}/${args.ifName} is not shaped as configured`, problems.join("; "));
}
