/** CHECK: IPAM still holds the addresses, and the container still has the interface and addresses ADD reported. */
import { delegateCheck } from "@tscni/invoke";
import { openNetns, verifyContainer } from "@tscni/netns";
import { requirePrevResult } from "@tscni/skel";
import type { Args } from "./config.js";

export async function check(args: Args): Promise<void> {
  const prev = requirePrevResult(args);
  await delegateCheck(args.config.ipam.type, args.stdin);
  const container = await openNetns(args.netns);
  verifyContainer(await container.snapshot(), prev, { ifName: args.ifName, sandbox: args.netns });
}
