import { delegateStatus } from "@tscni/invoke";
import { assertToolsInstalled } from "@tscni/netns";
import type { PtpArgs } from "./config.js";

/** Ready when iproute2 and nsenter are installed and the IPAM plugin says it is ready. */
export async function status(args: PtpArgs): Promise<void> {
  assertToolsInstalled();
  await delegateStatus(args.config.ipam.type, args.stdin);
}
