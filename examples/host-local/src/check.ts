/**
 * CHECK: the attachment must still hold an address in every range set, and
 * every address of prevResult that lies in our ranges must be one it holds.
 */
import { checkHeldAddresses } from "@tscni/ipam";
import { type HostLocalArgs, openStore, rangeSetsOf } from "./config.js";

export async function check(args: HostLocalArgs): Promise<void> {
  const store = openStore(args.config);
  const rangeSets = rangeSetsOf(args.config);
  const owner = { containerId: args.containerId, ifName: args.ifName };
  const held = await store.withLock((s) => s.findByOwner(owner));
  const who = `container ${args.containerId} interface ${args.ifName} in network ${args.config.name}`;
  checkHeldAddresses({ rangeSets, held, previous: args.prevResult?.ips, who });
}
