import { delegateGC, delegateStatus } from "@tscni/invoke";
import { findTool } from "@tscni/netns";
import { CniError, ErrorCode } from "@tscni/types";
import type { PtpArgs } from "./add.js";

/** Ready when iproute2 and nsenter are installed and the IPAM plugin says it is ready. */
export async function status(args: PtpArgs): Promise<void> {
  for (const tool of ["ip", "nsenter"]) {
    try {
      findTool(tool);
    } catch (e) {
      throw new CniError(ErrorCode.PluginNotAvailable, `${tool} is not installed`, (e as CniError).details ?? "", { cause: e });
    }
  }
  await delegateStatus(args.config.ipam.type, args.stdin);
}

/** ptp keeps no state of its own; its IPAM plugin may (spec: GC must be forwarded to delegates). */
export async function gc(args: PtpArgs): Promise<void> {
  await delegateGC(args.config.ipam.type, args.stdin);
}
