import { familyOf } from "./addr.js";
import type { NetNs } from "./namespace.js";

/**
 * Turns on IP forwarding in `ns` for each family among `addresses` (plain or
 * CIDR): a plugin that routes between containers and the host (bridge, ptp)
 * needs it, and only for the families it configured.
 */
export async function enableForwarding(ns: NetNs, addresses: readonly string[]): Promise<void> {
  const families = new Set(addresses.map(familyOf));
  if (families.has(4)) await ns.sysctl("net/ipv4/ip_forward", "1");
  if (families.has(6)) await ns.sysctl("net/ipv6/conf/all/forwarding", "1");
}
