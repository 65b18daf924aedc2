/**
 * ADD: one address from every range set, reserved across the cluster in one
 * etcd transaction. Returns the abbreviated IPAM result (no interfaces).
 */
import { formatIp } from "@tscni/ipam";
import type { ResultInput } from "@tscni/skel";
import { type ClusterIpamArgs, addSettings, attachmentOf, withStore } from "./config.js";

export async function add(args: ClusterIpamArgs): Promise<ResultInput> {
  const settings = addSettings(args);
  const allocations = await withStore(args, (store) =>
    store.allocate({ owner: attachmentOf(args), rangeSets: settings.rangeSets, requested: settings.requested, exclude: settings.exclude }),
  );
  for (const a of allocations) {
    args.log.debug(`${a.reused ? "kept" : "reserved"} ${formatIp(a.address)} for ${args.containerId}/${args.ifName}`);
  }
  return {
    ips: allocations.map((a) => ({ address: `${formatIp(a.address)}/${a.range.subnet.prefixLength}`, gateway: formatIp(a.range.gateway) })),
    ...(settings.routes.length > 0 && { routes: settings.routes }),
    ...(settings.dns && { dns: settings.dns }),
  };
}
