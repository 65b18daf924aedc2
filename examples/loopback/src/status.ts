import { assertToolsInstalled } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";

/** Ready when the tools every ADD needs are installed. */
export function status(_args: CmdArgs): void {
  assertToolsInstalled();
}
