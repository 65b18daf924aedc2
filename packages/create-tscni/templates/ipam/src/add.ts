/** ADD: one address of the subnet for this attachment (the same one again if it already holds one). */
import { allocate, formatIp } from "@tscni/ipam";
import type { ResultInput } from "@tscni/skel";
import { type Args, openStore, rangeOf } from "./config.js";

export async function add(args: Args): Promise<ResultInput> {
  const range = rangeOf(args.config);
  const owner = { containerId: args.containerId, ifName: args.ifName };
  const a = await openStore(args.config).withLock((store) => allocate({ store, rangeSet: [range], rangeSetIndex: 0, owner }));
  return { ips: [{ address: `${formatIp(a.address)}/${range.subnet.prefixLength}`, gateway: formatIp(range.gateway) }] };
}
