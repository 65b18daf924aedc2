import { ABSENT_NETNS, type Context } from "../context.js";
import { atLeast } from "../versions.js";

/** What an earlier plugin in a chain "configured": the values of the synthetic prevResult. */
export const PREV = {
  mac: "02:42:a9:fe:4d:02",
  address: "169.254.77.2/24",
  gateway: "169.254.77.1",
  route: "169.254.78.0/24",
  nameserver: "169.254.77.53",
} as const;

/** How the stand-in predecessor wires a container (--chained --netns): the values of PREV. */
export const PREV_WIRING = { mac: PREV.mac, cidr: PREV.address, gateway: PREV.gateway, route: PREV.route } as const;

/**
 * A prevResult in the shape of `version`, describing CNI_IFNAME inside `sandbox`; when a
 * predecessor really made a veth for that sandbox, its host end is listed first, as ptp lists it.
 */
export function syntheticPrevResult(ctx: Context, version: string, sandbox: string = ABSENT_NETNS): Record<string, unknown> {
  const dns = { nameservers: [PREV.nameserver] };
  if (!atLeast(version, "0.3.0")) {
    return { cniVersion: version, ip4: { ip: PREV.address, gateway: PREV.gateway, routes: [{ dst: PREV.route, gw: PREV.gateway }] }, dns };
  }
  const host = ctx.predecessors.get(sandbox);
  const hostIfaces = host ? [{ name: host.hostIf, mac: host.hostMac }] : [];
  const ip = { address: PREV.address, gateway: PREV.gateway, interface: hostIfaces.length, ...(atLeast(version, "1.0.0") ? {} : { version: "4" }) };
  return {
    cniVersion: version,
    interfaces: [...hostIfaces, { name: ctx.opts.ifname, mac: PREV.mac, sandbox }],
    ips: [ip],
    routes: [{ dst: PREV.route, gw: PREV.gateway }],
    dns,
  };
}
