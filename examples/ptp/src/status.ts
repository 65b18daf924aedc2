import { delegateGC, delegateStatus } from "@tscni/invoke";
import { assertToolsInstalled } from "@tscni/netns";
import type { PtpArgs } from "./add.js";

/** Ready when iproute2 and nsenter are installed and the IPAM plugin says it is ready. */
export async function status(args: PtpArgs): Promise<void> {
  assertToolsInstalled();
  await delegateStatus(args.config.ipam.type, args.stdin);
}

/** ptp keeps no state of its own; its IPAM plugin may (spec: GC must be forwarded to delegates). */
export async function gc(args: PtpArgs): Promise<void> {
  await delegateGC(args.config.ipam.type, args.stdin);
}
