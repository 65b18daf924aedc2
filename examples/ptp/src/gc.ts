import { delegateGC } from "@tscni/invoke";
import type { PtpArgs } from "./config.js";

/** ptp keeps no state of its own; its IPAM plugin may (SPEC.md §2 GC: forwarded to delegates). */
export async function gc(args: PtpArgs): Promise<void> {
  await delegateGC(args.config.ipam.type, args.stdin);
}
