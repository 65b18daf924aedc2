import { assertToolsInstalled } from "@tscni/netns";
import type { TuningArgs } from "./config.js";

/** Ready when the tools every ADD needs are installed. */
export function status(_args: TuningArgs): void {
  assertToolsInstalled(["ip", "nsenter", "tee", "cat"]);
}
