import { findTool } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";

/** Ready when the tools every ADD needs are installed. */
export function status(_args: CmdArgs): void {
  for (const tool of ["ip", "nsenter"]) {
    try {
      findTool(tool);
    } catch (e) {
      throw new CniError(ErrorCode.PluginNotAvailable, `${tool} is not installed`, (e as CniError).details ?? "", { cause: e });
    }
  }
}
