/**
 * ADD: one address from each range set, all reserved under the network's lock
 * in one go; if a later set fails, what this ADD reserved is released again.
 * Returns the abbreviated IPAM result (no interfaces, no interface index).
 */
import { type Allocation, type LockedDiskStore, type Owner, allocate, formatIp } from "@tscni/ipam";
import type { ResultInput } from "@tscni/skel";
import { type AddSettings, type HostLocalArgs, addSettings } from "./config.js";

function allocateEverySet(store: LockedDiskStore, settings: AddSettings, owner: Owner): Allocation[] {
  const done: Allocation[] = [];
  try {
    for (const [index, rangeSet] of settings.rangeSets.entries()) {
      const request = settings.requested[index];
      done.push(
        allocate({ store, rangeSet, rangeSetIndex: index, owner, requested: request?.ip, requestedFrom: request?.from }),
      );
    }
    return done;
  } catch (e) {
    for (const a of done) if (!a.reused) store.release(a.address, owner);
    throw e;
  }
}

export async function add(args: HostLocalArgs): Promise<ResultInput> {
  const settings = addSettings(args);
  const owner: Owner = { containerId: args.containerId, ifName: args.ifName };
  const allocations = await settings.store.withLock((store) => allocateEverySet(store, settings, owner));
  for (const a of allocations) {
    args.log.debug(`${a.reused ? "kept" : "reserved"} ${formatIp(a.address)} for ${args.containerId}/${args.ifName}`);
  }
  return {
    ips: allocations.map((a) => ({
      address: `${formatIp(a.address)}/${a.range.subnet.prefixLength}`,
      gateway: formatIp(a.range.gateway),
    })),
    ...(settings.routes.length > 0 && { routes: settings.routes }),
    ...(settings.dns && { dns: settings.dns }),
  };
}
