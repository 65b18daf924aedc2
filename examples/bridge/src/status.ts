import { delegateGC, delegateStatus } from "@tscni/invoke";
import { assertToolsInstalled } from "@tscni/netns";
import type { BridgeArgs } from "./add.js";

/** Ready when iproute2 and nsenter are installed and the IPAM plugin (if any) says it is ready. */
export async function status(args: BridgeArgs): Promise<void> {
  assertToolsInstalled();
  if (args.config.ipam?.type) await delegateStatus(args.config.ipam.type, args.stdin);
}

/** bridge keeps no per-container state of its own; its IPAM plugin may (spec: GC is forwarded to delegates). */
export async function gc(args: BridgeArgs): Promise<void> {
  if (args.config.ipam?.type) await delegateGC(args.config.ipam.type, args.stdin);
}
