/**
 * What ptp puts on each end of the pair, as iproute2 lines: the container
 * routes everything via the gateway (no subnet on the link), the host end
 * holds the gateway as a /32 (/128) and a host route back to the container.
 */
import { addrAdd, canonicalNetwork, familyOf, linkSetLines, routeAdd, routeSpecOf } from "@tscni/netns";
import type { Words } from "@tscni/netns";
import type { IPConfig, Route } from "@tscni/types";
import { CniError, ErrorCode } from "@tscni/types";

const hostPrefix = (ip: string) => (familyOf(ip) === 4 ? 32 : 128);
const addressOf = (cidr: string) => cidr.split("/")[0] ?? cidr;

/** ptp has no subnet on the link: every address needs a gateway to route through. */
export function gatewaysOf(ips: IPConfig[]): Map<4 | 6, string> {
  const gateways = new Map<4 | 6, string>();
  for (const ip of ips) {
    if (ip.gateway === undefined) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `IPAM returned ${ip.address} without a gateway`, "ptp routes through the gateway: configure one in the IPAM range");
    }
    const family = familyOf(ip.gateway);
    if (!gateways.has(family)) gateways.set(family, ip.gateway);
  }
  return gateways;
}

export function containerLines(o: { ifName: string; ips: IPConfig[]; routes: Route[] }): Words[] {
  const gateways = gatewaysOf(o.ips);
  const lines: Words[] = [...linkSetLines(o.ifName, { up: true })];
  for (const ip of o.ips) {
    // nodad: the only other end of the link is the host, which holds the gateway, never this address.
    lines.push(addrAdd({ dev: o.ifName, cidr: ip.address, noPrefixRoute: true, noDad: true }));
  }
  for (const ip of o.ips) {
    const gw = ip.gateway as string;
    lines.push(routeAdd({ dst: `${gw}/${hostPrefix(gw)}`, dev: o.ifName, scope: 253 }, true));
    const [address = "", prefix] = ip.address.split("/");
    const subnet = canonicalNetwork(ip.address);
    if (subnet !== undefined && Number(prefix) < hostPrefix(address)) {
      lines.push(routeAdd({ dst: subnet, gw, dev: o.ifName, src: address }, true));
    }
  }
  for (const r of o.routes) {
    const gw = r.gw ?? gateways.get(familyOf(r.dst));
    lines.push(routeAdd({ ...routeSpecOf(r), dev: o.ifName, ...(gw !== undefined && { gw }) }, true));
  }
  return lines;
}

export function hostLines(o: { hostName: string; ips: IPConfig[] }): Words[] {
  const lines: Words[] = [...linkSetLines(o.hostName, { up: true })];
  const added = new Set<string>();
  for (const ip of o.ips) {
    const gw = ip.gateway as string;
    if (added.has(gw)) continue;
    added.add(gw);
    lines.push(addrAdd({ dev: o.hostName, cidr: `${gw}/${hostPrefix(gw)}`, noDad: true }));
  }
  for (const ip of o.ips) {
    const address = addressOf(ip.address);
    lines.push(routeAdd({ dst: `${address}/${hostPrefix(address)}`, dev: o.hostName, scope: 253 }, true));
  }
  return lines;
}
