import { describe, expect, test } from "vitest";
import { containerLines, hostLines } from "../src/links.js";

describe("ptp link plan", () => {
  const ips = [
    { address: "169.254.51.2/24", gateway: "169.254.51.1" },
    { address: "fd00:51::2/64", gateway: "fd00:51::1" },
  ];

  test("container: no subnet route from the address; the gateway on-link; subnet and IPAM routes via the gateway with their 1.1.0 attributes", () => {
    const lines = containerLines({ ifName: "eth0", ips, routes: [{ dst: "0.0.0.0/0" }, { dst: "fd00:99::/64", gw: "fd00:51::fe", priority: 5, table: 100 }] }).map((l) => l.join(" "));
    expect(lines).toEqual([
      "link set dev eth0 up",
      "addr add 169.254.51.2/24 dev eth0 noprefixroute",
      "addr add fd00:51::2/64 dev eth0 noprefixroute nodad",
      "route replace 169.254.51.1/32 dev eth0 scope 253",
      "route replace 169.254.51.0/24 via 169.254.51.1 dev eth0 src 169.254.51.2",
      "route replace fd00:51::1/128 dev eth0 scope 253",
      "route replace fd00:51::/64 via fd00:51::1 dev eth0 src fd00:51::2",
      "route replace 0.0.0.0/0 via 169.254.51.1 dev eth0",
      "route replace fd00:99::/64 via fd00:51::fe dev eth0 metric 5 table 100",
    ]);
  });

  test("host: each gateway once as a host address, a host route to each container address", () => {
    const lines = hostLines({ hostName: "veth0", ips: [...ips, { address: "169.254.51.3/24", gateway: "169.254.51.1" }] }).map((l) => l.join(" "));
    expect(lines).toEqual([
      "link set dev veth0 up",
      "addr add 169.254.51.1/32 dev veth0",
      "addr add fd00:51::1/128 dev veth0 nodad",
      "route replace 169.254.51.2/32 dev veth0 scope 253",
      "route replace fd00:51::2/128 dev veth0 scope 253",
      "route replace 169.254.51.3/32 dev veth0 scope 253",
    ]);
  });

  test("an address without a gateway is refused before anything runs", () => {
    expect(() => containerLines({ ifName: "eth0", ips: [{ address: "169.254.51.2/24" }], routes: [] })).toThrow("IPAM returned 169.254.51.2/24 without a gateway");
  });
});
