import { delegateDel } from "@tscni/invoke";
import { netnsState, openNetns } from "@tscni/netns";
import type { BridgeArgs } from "./add.js";

/**
 * Best effort and idempotent: the container end goes (its host peer leaves
 * the bridge with it), then IPAM releases the addresses whatever happened to
 * the first step. The bridge stays: other containers may use it.
 */
export async function del(args: BridgeArgs): Promise<void> {
  // Only what DEL needs is read: a config ADD refused must still be deletable.
  const ipamType = args.config.ipam?.type || undefined;
  let linkError: unknown;
  try {
    if (args.netns !== "" && (await netnsState(args.netns)) !== "missing") {
      await (await openNetns(args.netns)).deleteLink(args.ifName);
    }
  } catch (e) {
    linkError = e;
  }
  if (ipamType !== undefined) await delegateDel(ipamType, args.stdin);
  if (linkError !== undefined) throw linkError;
}
