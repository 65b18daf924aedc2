/**
 * CHECK for an IPAM plugin, whatever its store: the attachment must hold an
 * address in every range set, and every address of prevResult that lies in
 * the plugin's ranges must be one it holds. Code 3 (unknown container) names
 * the range set or the prevResult entry.
 */
import { CniError, ErrorCode, type IPConfig } from "@tscni/types";
import { type IpAddress, formatIp, parsePrefix } from "./ip.js";
import { type RangeSet, formatRangeSet, rangeFor } from "./range.js";

export interface HeldCheck {
  rangeSets: readonly RangeSet[];
  /** What the store holds for the attachment. */
  held: readonly IpAddress[];
  /** The attachment's prevResult addresses. */
  previous: readonly IPConfig[] | undefined;
  /** "container c interface i in network n", for the messages. */
  who: string;
}

export function checkHeldAddresses({ rangeSets, held, previous, who }: HeldCheck): void {
  for (const [index, set] of rangeSets.entries()) {
    if (!held.some((ip) => rangeFor(set, ip))) {
      throw new CniError(ErrorCode.UnknownContainer, `no address reserved for ${who} in range set ${index} (${formatRangeSet(set)})`);
    }
  }
  for (const [i, ip] of (previous ?? []).entries()) {
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
