/** iproute2 lines for each side: the container end and the bridge port with the gateway addresses. */
import { addrAdd, addrDel, familyOf, linkSetLines, routeAdd, routeSpecOf } from "@tscni/netns";
import type { Address, Words } from "@tscni/netns";
import type { IPConfig, Route } from "@tscni/types";

export function containerLines(o: { ifName: string; ips: IPConfig[]; routes: Route[]; dad: boolean }): Words[] {
  const lines: Words[] = [...linkSetLines(o.ifName, { up: true })];
  for (const ip of o.ips) lines.push(addrAdd({ dev: o.ifName, cidr: ip.address, noDad: !o.dad }));
  for (const r of o.routes) {
    const gw = r.gw ?? gatewayFor(o.ips, r.dst);
    lines.push(routeAdd({ ...routeSpecOf(r), ...(gw !== undefined && { gw }), dev: o.ifName }, true));
  }
  return lines;
}

/**
 * The spec lets a route omit `gw` ("the default gateway is assumed"): like Go's bridge, the container routes it via
 * the gateway of the same family, and only without one (isGateway off and none from IPAM) as a link route.
 */
function gatewayFor(ips: IPConfig[], dst: string): string | undefined {
  const family = familyOf(dst.split("/")[0] ?? dst);
  return ips.find((ip) => ip.gateway !== undefined && familyOf(ip.gateway) === family)?.gateway;
}

export function hostLines(o: { hostName: string; bridge: string; hairpin: boolean; gatewayAddresses: string[]; replaced: Address[] }): Words[] {
  const lines: Words[] = [...linkSetLines(o.hostName, { master: o.bridge, up: true, ...(o.hairpin && { hairpin: true }) })];
  for (const a of o.replaced) lines.push(addrDel({ dev: o.bridge, cidr: a.cidr }));
  // replace: concurrent ADDs on one network all add the same gateway; whoever comes second must not fail.
  for (const cidr of o.gatewayAddresses) lines.push(addrAdd({ dev: o.bridge, cidr, noDad: true }, true));
  return lines;
}
