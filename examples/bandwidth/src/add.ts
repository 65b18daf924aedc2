/** ADD: shapes the container's traffic as configured; prevResult passes through. */
import { requirePrevResult } from "@tscni/skel";
import type { ResultInput } from "@tscni/skel";
import { type BandwidthArgs, limitsOf } from "./config.js";
import { hostVeth, ifbName, shape } from "./shaping.js";

export async function add(args: BandwidthArgs): Promise<ResultInput> {
  const prev = requirePrevResult(args);
  const limits = limitsOf(args.config);
  if (limits.ingress || limits.egress) await shape(await hostVeth(args), ifbName(args), limits);
  return prev;
}
