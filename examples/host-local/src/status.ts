/**
 * STATUS: ADD can be served when the data directory is usable and every range
 * set still has a free address (ADD takes one from each). Otherwise code 50.
 */
import { accessSync, constants } from "node:fs";
import { type RangeSet, formatRangeSet, isGatewayOf, parseIp, rangeFor, rangeSetSize } from "@tscni/ipam";
import { CniError, ErrorCode, isCniError } from "@tscni/types";
import { type HostLocalArgs, openStore, rangeSetsOf } from "./config.js";

function heldIn(set: RangeSet, held: ReadonlySet<string>): bigint {
  let count = 0n;
  for (const name of held) {
    const ip = parseIp(name);
    if (ip && rangeFor(set, ip) && !isGatewayOf(set, ip)) count++;
  }
  return count;
}

export async function status(args: HostLocalArgs): Promise<void> {
  const rangeSets = rangeSetsOf(args.config);
  const store = openStore(args.config);
  let held: ReadonlySet<string>;
  try {
    held = await store.withLock((s) => {
      accessSync(s.dir, constants.W_OK);
      return s.heldAddresses();
    });
  } catch (e) {
    const reason = isCniError(e) ? `${e.msg}${e.details ? `: ${e.details}` : ""}` : (e as Error).message;
    throw new CniError(ErrorCode.PluginNotAvailable, `data directory ${store.dir} is not usable`, reason);
  }
  for (const [index, set] of rangeSets.entries()) {
    const free = rangeSetSize(set) - heldIn(set, held);
    if (free <= 0n) {
      throw new CniError(
        ErrorCode.PluginNotAvailable,
        `no free address in range set ${index} (${formatRangeSet(set)}) of network ${args.config.name}`,
        "every address is reserved; DEL or GC unused attachments",
      );
    }
  }
}
