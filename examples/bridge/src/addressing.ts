/**
 * Turns IPAM's answer into what the container and the bridge get: gateways
 * filled in when the bridge is the gateway, a default route per family when
 * asked for one, and the gateway addresses (with their subnet's prefix) the
 * bridge must hold.
 */
import { canonicalNetwork, contains, familyOf, firstHost } from "@tscni/netns";
import type { Address } from "@tscni/netns";
import { CniError, ErrorCode } from "@tscni/types";
import type { IPConfig, Route } from "@tscni/types";
import type { BridgeSettings } from "./config.js";

export interface Addressing {
  ips: IPConfig[];
  routes: Route[];
  /** "gw/prefix" for each subnet the bridge is gateway of. */
  bridgeAddresses: string[];
}

export function planAddressing(s: BridgeSettings, ipam: { ips?: IPConfig[]; routes?: Route[] }): Addressing {
  const ips = (ipam.ips ?? []).map((ip) => {
    if (ip.gateway !== undefined || !s.isGateway) return { ...ip };
    const gateway = firstHost(ip.address);
    return gateway === undefined ? { ...ip } : { ...ip, gateway };
  });
  const routes = [...(ipam.routes ?? [])];
  if (s.isDefaultGateway) {
    for (const family of [4, 6] as const) {
      const gw = ips.find((ip) => ip.gateway !== undefined && familyOf(ip.address) === family)?.gateway;
      const defaultDst = family === 4 ? "0.0.0.0/0" : "::/0";
      if (gw !== undefined && !routes.some((r) => canonicalNetwork(r.dst) === defaultDst)) routes.push({ dst: defaultDst, gw });
    }
  }
  const bridgeAddresses = s.isGateway
    ? [...new Set(ips.flatMap((ip) => (ip.gateway === undefined ? [] : [`${ip.gateway}/${ip.address.split("/")[1]}`])))]
    : [];
  return { ips, routes, bridgeAddresses };
}

/**
 * Addresses the bridge holds that clash with a gateway it must take: for
 * IPv4 any other address, for IPv6 one whose subnet overlaps (as the Go
 * plugin decides). They are removed with forceAddress, else an error.
 */
export function conflictingBridgeAddresses(s: BridgeSettings, held: Address[], wanted: string[]): Address[] {
  const clashes: Address[] = [];
  for (const want of wanted) {
    const [gw = ""] = want.split("/");
    for (const a of held) {
      if (a.family !== familyOf(gw) || a.scope === "link" || a.cidr === want) continue;
      if (wanted.includes(a.cidr)) continue;
      if (a.family === 4 || contains(a.cidr, gw) || contains(want, a.address)) clashes.push(a);
    }
  }
  if (clashes.length > 0 && !s.forceAddress) {
    throw new CniError(
      ErrorCode.Internal,
      `bridge ${s.bridge} already has address ${clashes[0]?.cidr}, different from gateway ${wanted.join(", ")}`,
      "another network uses this bridge with a different subnet; use another bridge name, or forceAddress: true to replace the address",
    );
  }
  return clashes;
}
