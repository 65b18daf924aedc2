import { delegateStatus } from "@tscni/invoke";
import { assertToolsInstalled } from "@tscni/netns";
import type { BridgeArgs } from "./config.js";

/** Ready when iproute2 and nsenter (and nft with ipMasq) are installed and the IPAM plugin (if any) says it is ready. */
export async function status(args: BridgeArgs): Promise<void> {
  assertToolsInstalled(args.config.ipMasq === true ? ["ip", "nsenter", "nft"] : undefined);
  if (args.config.ipam?.type) await delegateStatus(args.config.ipam.type, args.stdin);
}
