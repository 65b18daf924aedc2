/**
 * The guard against a runtime handing a plugin its own network namespace as
 * CNI_NETNS: configuring "the container" would then reconfigure the host.
 * Go checks this after the handler has already run; skel refuses before.
 */
import { statSync } from "node:fs";
import { CniError, ErrorCode } from "@tscni/types";

export const OWN_NETNS_PATH = "/proc/self/ns/net";

/** Throws CniError 8 when `netns` is the same namespace as `ownPath`. A path that cannot be stat'ed passes. */
export function refuseOwnNetns(netns: string, ownPath: string = OWN_NETNS_PATH): void {
  if (netns === "" || process.platform !== "linux") return;
  let target;
  try {
    target = statSync(netns);
  } catch {
    // Gone or never there: DEL after the container died is normal, and ADD will fail on its own.
    return;
  }
  let own;
  try {
    own = statSync(ownPath);
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetNS, "get plugin's netns failed", e instanceof Error ? e.message : String(e));
  }
  if (target.dev === own.dev && target.ino === own.ino) {
    throw new CniError(
      ErrorCode.InvalidNetNS,
      "plugin's netns and netns from CNI_NETNS should not be the same",
      `CNI_NETNS=${netns} is the plugin's own network namespace; set CNI_NETNS_OVERRIDE=1 if this is intended`,
    );
  }
}
