import { assertToolsInstalled } from "@tscni/netns";
import type { PortmapArgs } from "./config.js";

/** Ready when nft (and nsenter, for namespaces) is installed. */
export function status(_args: PortmapArgs): void {
  assertToolsInstalled(["nft"]);
}
