/** iproute2 lines for each side: the container end and the bridge port with the gateway addresses. */
import { addrAdd, addrDel, linkSetLines, routeAdd, routeSpecOf } from "@tscni/netns";
import type { Address, Words } from "@tscni/netns";
import type { IPConfig, Route } from "@tscni/types";

export function containerLines(o: { ifName: string; ips: IPConfig[]; routes: Route[]; dad: boolean }): Words[] {
  const lines: Words[] = [...linkSetLines(o.ifName, { up: true })];
  for (const ip of o.ips) lines.push(addrAdd({ dev: o.ifName, cidr: ip.address, noDad: !o.dad }));
  for (const r of o.routes) lines.push(routeAdd({ ...routeSpecOf(r), dev: o.ifName }, true));
  return lines;
}

export function hostLines(o: { hostName: string; bridge: string; hairpin: boolean; gatewayAddresses: string[]; replaced: Address[] }): Words[] {
  const lines: Words[] = [...linkSetLines(o.hostName, { master: o.bridge, up: true, ...(o.hairpin && { hairpin: true }) })];
  for (const a of o.replaced) lines.push(addrDel({ dev: o.bridge, cidr: a.cidr }));
  // replace: concurrent ADDs on one network all add the same gateway; whoever comes second must not fail.
  for (const cidr of o.gatewayAddresses) lines.push(addrAdd({ dev: o.bridge, cidr, noDad: true }, true));
  return lines;
}
