import { assertToolsInstalled } from "@tscni/netns";
import type { BandwidthArgs } from "./config.js";

/** Ready when tc and iproute2 are installed. */
export function status(_args: BandwidthArgs): void {
  assertToolsInstalled(["ip", "nsenter", "tc"]);
}
