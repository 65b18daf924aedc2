import { execPluginBinary } from "@tscni/netns/testkit";
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { pluginPath } from "../../../test/support/plugin-bin.js";

const OURS = pluginPath("static");
const GO = "/usr/lib/cni/static";

type Command = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS";
function run(command: Command, config: object, o: { args?: string; binary?: string } = {}) {
  return execPluginBinary({
    binary: o.binary ?? OURS,
    command,
    config,
    containerId: "ctr",
    netns: "/var/run/netns/tscni-static-unused",
    path: ["/usr/lib/cni"],
    ...(o.args !== undefined && { args: o.args }),
  });
}

function conf(cniVersion: string, ipam: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { cniVersion, name: "staticnet", type: "static", ipam: { type: "static", ...ipam }, ...extra };
}

const IPAM = {
  addresses: [{ address: "169.254.60.5/16", gateway: "169.254.0.1" }, { address: "fd00:60::5/64", gateway: "fd00:60::1" }],
  routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1" }, { dst: "fd00::/8" }],
  dns: { nameservers: ["169.254.0.53"], domain: "example", search: ["example"], options: ["ndots:1"] },
};

const skip = skipReason({ executables: [OURS] });

describe.skipIf(skip)("static in every spec version", () => {
  it.each(["0.1.0", "0.2.0"])("%s: one address per family as ip4/ip6", async (v) => {
    const r = await run("ADD", conf(v, IPAM));
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.json).toEqual({
      cniVersion: v,
      ip4: { ip: "169.254.60.5/16", gateway: "169.254.0.1", routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1" }] },
      ip6: { ip: "fd00:60::5/64", gateway: "fd00:60::1", routes: [{ dst: "fd00::/8" }] },
      dns: IPAM.dns,
    });
  });

  it.each(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])("%s: the abbreviated IPAM result", async (v) => {
    const r = await run("ADD", conf(v, IPAM));
    expect(r.exitCode, r.stdout).toBe(0);
    const versioned = v.startsWith("0.");
    expect(r.json).toEqual({
      cniVersion: v,
      ips: [
        { address: "169.254.60.5/16", gateway: "169.254.0.1", ...(versioned && { version: "4" }) },
        { address: "fd00:60::5/64", gateway: "fd00:60::1", ...(versioned && { version: "6" }) },
      ],
      routes: IPAM.routes,
      dns: IPAM.dns,
    });
    for (const verb of ["DEL", "DEL", ...(v === "0.3.0" || v === "0.3.1" ? [] : ["CHECK"])] as Command[]) {
      const other = await run(verb, { ...conf(v, IPAM), prevResult: r.json });
      expect(other.exitCode, `${verb}: ${other.stdout}`).toBe(0);
      expect(other.stdout).toBe("");
    }
  });

  it("DEL succeeds even for a config that no longer validates", async () => {
    const r = await run("DEL", conf("1.1.0", { addresses: [{ address: "nope", gw: "x" }] }));
    expect(r.exitCode, r.stdout).toBe(0);
  });

  it("GC and STATUS (1.1.0) succeed silently: static holds nothing", async () => {
    for (const verb of ["GC", "STATUS"] as Command[]) {
      const r = await run(verb, conf("1.1.0", IPAM));
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("");
    }
  });
});

describe.skipIf(skip)("static address sources", () => {
  it("the ips capability replaces the config's addresses", async () => {
    const r = await run("ADD", conf("1.1.0", IPAM, { runtimeConfig: { ips: ["169.254.61.9/24"] } }));
    expect(r.json).toMatchObject({ ips: [{ address: "169.254.61.9/24" }] });
    expect((r.json as { ips: object[] }).ips).toHaveLength(1);
  });

  it("args.cni.ips replaces them too, and wins over CNI_ARGS IP", async () => {
    const r = await run("ADD", conf("1.1.0", IPAM, { args: { cni: { ips: ["169.254.62.9/24"] } } }), { args: "IP=169.254.63.9/24" });
    expect((r.json as { ips: object[] }).ips).toEqual([{ address: "169.254.62.9/24" }]);
  });

  it("CNI_ARGS IP adds to the config's addresses, and GATEWAY sets the gateway of those whose subnet holds it", async () => {
    const r = await run("ADD", conf("1.1.0", { addresses: [{ address: "169.254.60.5/16" }] }), {
      args: "IgnoreUnknown=1;IP=fd00:61::7/64,169.254.70.7/24;GATEWAY=169.254.70.1,fd00:61::1",
    });
    expect(r.exitCode, r.stdout).toBe(0);
    expect((r.json as { ips: object[] }).ips).toEqual([
      { address: "169.254.60.5/16" },
      { address: "fd00:61::7/64", gateway: "fd00:61::1" },
      { address: "169.254.70.7/24", gateway: "169.254.70.1" },
    ]);
  });

  it("refuses with the field named", async () => {
    const cases: [object, string | undefined, number, string][] = [
      [conf("1.1.0", { addresses: [{ address: "169.254.60.5" }] }), undefined, 7, 'ipam.addresses[0].address: "169.254.60.5" is not an address with a prefix length'],
      [conf("1.1.0", { addresses: [{ address: "169.254.60.5/16", gateway: "fd00::1" }] }), undefined, 7, "ipam.addresses[0]: gateway fd00::1 is IPv6 but the address 169.254.60.5/16 is IPv4"],
      [conf("1.1.0", {}), undefined, 7, "ipam.addresses: no address"],
      [conf("1.1.0", {}), "IP=169.254.60.5", 4, 'CNI_ARGS IP: "169.254.60.5" needs a prefix length'],
      [conf("1.1.0", IPAM), "IP=169.254.72.7/24;GATEWAY=169.254.99.1", 4, "CNI_ARGS GATEWAY: 169.254.99.1 is in none of the IP= addresses' subnets"],
      [conf("1.1.0", { ...IPAM, routes: [{ dst: "0.0.0.0/0", gw: "fd00::1" }] }), undefined, 7, "ipam.routes[0].gw: fd00::1 is IPv6 but dst 0.0.0.0/0 is IPv4"],
      [conf("1.1.0", { ...IPAM, dns: { nameservers: ["dns.example"] } }), undefined, 7, 'ipam.dns.nameservers[0]: "dns.example" is not an IP address'],
      [conf("0.2.0", { addresses: [{ address: "169.254.60.5/16" }, { address: "169.254.60.6/16" }] }), undefined, 7, "ipam.addresses[1]: cniVersion 0.2.0 results carry one IPv4 address"],
      [conf("1.1.0", { addresses: [{ address: "169.254.60.5/16", gw: "x" }] }), undefined, 7, 'ipam.addresses[0]: unknown key "gw"'],
    ];
    for (const [config, args, code, text] of cases) {
      const r = await run("ADD", config, args === undefined ? {} : { args });
      expect(r.exitCode, `${text}: ${r.stdout}`).toBe(1);
      expect(r.json, text).toMatchObject({ code });
      const { msg, details } = r.json as { msg: string; details?: string };
      expect(`${msg} ${details ?? ""}`).toContain(text);
    }
  });
});

describe.skipIf(skipReason({ executables: [OURS, GO] }))("same answers as Go's static", () => {
  it.each(["0.3.0", "0.3.1", "0.4.0", "1.0.0"])("%s", async (v) => {
    const args = "IP=169.254.71.7/24;GATEWAY=169.254.71.1";
    const [go, ours] = await Promise.all([run("ADD", conf(v, IPAM), { binary: GO, args }), run("ADD", conf(v, IPAM), { args })]);
    expect(go.exitCode, go.stdout).toBe(0);
    expect(ours.json).toEqual(go.json);
  });
});
