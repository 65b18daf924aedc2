/**
 * CHECK: the attachment's reservation must exist, hold an address in every
 * range set, and include every address of prevResult that lies in our ranges.
 */
import { checkHeldAddresses, parseIp } from "@tscni/ipam";
import { CniError, ErrorCode } from "@tscni/types";
import { type ClusterIpamArgs, attachmentOf, rangeSetsOf, withStore } from "./config.js";

export async function check(args: ClusterIpamArgs): Promise<void> {
  const rangeSets = rangeSetsOf(args.config);
  const record = await withStore(args, (store) => store.attachment(attachmentOf(args)));
  const who = `container ${args.containerId} interface ${args.ifName} in network ${args.config.name}`;
  if (!record) throw new CniError(ErrorCode.UnknownContainer, `no reservation in etcd for ${who}`);
  const held = record.addresses.flatMap((a) => parseIp(a) ?? []);
  checkHeldAddresses({ rangeSets, held, previous: args.prevResult?.ips, who });
}
