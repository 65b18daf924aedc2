/**
 * CHECK: the attachment must still hold an address in every range set, and
 * every address of prevResult that lies in our ranges must be one it holds.
 */
import { formatIp, formatRangeSet, parsePrefix, rangeFor } from "@tscni/ipam";
import { CniError, ErrorCode } from "@tscni/types";
import { type HostLocalArgs, openStore, rangeSetsOf } from "./config.js";

export async function check(args: HostLocalArgs): Promise<void> {
  const store = openStore(args.config);
  const rangeSets = rangeSetsOf(args.config);
  const owner = { containerId: args.containerId, ifName: args.ifName };
  const held = await store.withLock((s) => s.findByOwner(owner));
  const who = `container ${args.containerId} interface ${args.ifName} in network ${args.config.name}`;
  for (const [index, set] of rangeSets.entries()) {
    if (!held.some((ip) => rangeFor(set, ip))) {
      throw new CniError(ErrorCode.UnknownContainer, `no address reserved for ${who} in range set ${index} (${formatRangeSet(set)})`);
    }
  }
  for (const [i, ip] of (args.prevResult?.ips ?? []).entries()) {
    const address = parsePrefix(ip.address)?.address;
    if (!address || !rangeSets.some((set) => rangeFor(set, address))) continue;
    if (!held.some((h) => h.family === address.family && h.value === address.value)) {
      throw new CniError(
        ErrorCode.UnknownContainer,
        `prevResult.ips[${i}].address ${ip.address} is not reserved for ${who}`,
        `reserved: ${held.map(formatIp).join(", ") || "nothing"}`,
      );
    }
  }
}
