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

/** A prevResult in the shape of `version`, describing CNI_IFNAME inside `sandbox`. */
export function syntheticPrevResult(ctx: Context, version: string, sandbox: string = ABSENT_NETNS): Record<string, unknown> {
  const dns = { nameservers: [PREV.nameserver] };
  if (!atLeast(version, "0.3.0")) {
    return { cniVersion: version, ip4: { ip: PREV.address, gateway: PREV.gateway, routes: [{ dst: PREV.route, gw: PREV.gateway }] }, dns };
  }
  const ip = { address: PREV.address, gateway: PREV.gateway, interface: 0, ...(atLeast(version, "1.0.0") ? {} : { version: "4" }) };
  return {
    cniVersion: version,
    interfaces: [{ name: ctx.opts.ifname, mac: PREV.mac, sandbox }],
    ips: [ip],
    routes: [{ dst: PREV.route, gw: PREV.gateway }],
    dns,
  };
}
