/**
 * CHECK: the attachment's reservation must exist, hold an address in every
 * range set, and include every address of prevResult that lies in our ranges.
 */
import { formatRangeSet, parseIp, parsePrefix, rangeFor } from "@tscni/ipam";
import { CniError, ErrorCode } from "@tscni/types";
import { type ClusterIpamArgs, attachmentOf, rangeSetsOf, withStore } from "./config.js";

export async function check(args: ClusterIpamArgs): Promise<void> {
  const rangeSets = rangeSetsOf(args.config);
  const record = await withStore(args, (store) => store.attachment(attachmentOf(args)));
  const who = `container ${args.containerId} interface ${args.ifName} in network ${args.config.name}`;
  if (!record) throw new CniError(ErrorCode.UnknownContainer, `no reservation in etcd for ${who}`);
  const held = record.addresses.flatMap((a) => parseIp(a) ?? []);
  for (const [index, set] of rangeSets.entries()) {
    if (!held.some((ip) => rangeFor(set, ip))) {
      throw new CniError(ErrorCode.UnknownContainer, `no address reserved for ${who} in range set ${index} (${formatRangeSet(set)})`);
    }
  }
  for (const [i, ip] of (args.prevResult?.ips ?? []).entries()) {
    const address = parsePrefix(ip.address)?.address;
    if (!address || !rangeSets.some((set) => rangeFor(set, address))) continue;
    if (!held.some((h) => h.family === address.family && h.value === address.value)) {
      throw new CniError(ErrorCode.UnknownContainer, `prevResult.ips[${i}].address ${ip.address} is not reserved for ${who}`, `reserved: ${record.addresses.join(", ")}`);
    }
  }
}
