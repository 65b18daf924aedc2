import { SPEC_VERSIONS } from "@tscni/types";
import type { AnyResult, Result } from "@tscni/types";

export const VERSIONS = [...SPEC_VERSIONS];
export const LEGACY = ["0.1.0", "0.2.0"] as const;
export const V04 = ["0.3.0", "0.3.1", "0.4.0"] as const;
export const V1 = ["1.0.0", "1.1.0"] as const;

/** A 1.1.0 result using every field: two v4 and two v6 addresses, routes of both families and the 1.1.0 extras. */
export function richResult(): Result {
  return {
    cniVersion: "1.1.0",
    interfaces: [
      { name: "br0", mac: "00:11:22:33:44:55", mtu: 1500 },
      { name: "eth0", mac: "00:11:22:33:44:66", sandbox: "/var/run/netns/x", socketPath: "/run/vhost.sock", pciID: "0000:00:1f.6" },
    ],
    ips: [
      { interface: 1, address: "169.254.1.5/16", gateway: "169.254.0.1" },
      { interface: 1, address: "fd00::5/64", gateway: "fd00::1" },
      { interface: 1, address: "169.254.2.5/16" },
      { address: "fd00:1::5/64" },
    ],
    routes: [
      { dst: "0.0.0.0/0", gw: "169.254.0.1", mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0 },
      { dst: "::/0", gw: "fd00::1" },
      { dst: "169.254.10.0/24" },
    ],
    dns: { nameservers: ["169.254.0.53"], domain: "example.test", search: ["example.test"], options: ["ndots:2"] },
  };
}

/** The same result as each wire shape carries it (what Go prints, minus the empty `dns: {}` of 0.x). */
export function richAs(version: string): AnyResult {
  return richAsObject(version) as unknown as AnyResult;
}

function richAsObject(version: string): Record<string, unknown> {
  const r = richResult();
  if ((LEGACY as readonly string[]).includes(version)) {
    return {
      cniVersion: version,
      ip4: { ip: "169.254.1.5/16", gateway: "169.254.0.1", routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1" }, { dst: "169.254.10.0/24" }] },
      ip6: { ip: "fd00::5/64", gateway: "fd00::1", routes: [{ dst: "::/0", gw: "fd00::1" }] },
      dns: r.dns,
    };
  }
  if ((V04 as readonly string[]).includes(version)) {
    return {
      cniVersion: version,
      interfaces: [
        { name: "br0", mac: "00:11:22:33:44:55" },
        { name: "eth0", mac: "00:11:22:33:44:66", sandbox: "/var/run/netns/x" },
      ],
      ips: [
        { version: "4", interface: 1, address: "169.254.1.5/16", gateway: "169.254.0.1" },
        { version: "6", interface: 1, address: "fd00::5/64", gateway: "fd00::1" },
        { version: "4", interface: 1, address: "169.254.2.5/16" },
        { version: "6", address: "fd00:1::5/64" },
      ],
      routes: r.routes,
      dns: r.dns,
    };
  }
  return { ...r, cniVersion: version };
}
