import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { PLUGIN_VERSIONS, cnitool, createTestNetns, execPluginBinary, leases, ping, requireNetns, supportsCheck, workspacePool } from "@tscni/netns/testkit";
import type { TestNetns, Workspace } from "@tscni/netns/testkit";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const skip = requireNetns();
const distBin = PLUGIN_BIN;
const { create: setup, removeAll: removeWorkspaces } = workspacePool("br", { bin: distBin, cnitool: CNITOOL });

function bridgeConf(ws: Workspace, extra: object = {}, ipamExtra: object = {}) {
  return {
    type: "bridge",
    bridge: "cni-test0",
    isDefaultGateway: true,
    mtu: 1400,
    ipam: { type: "host-local", dataDir: ws.ipamData, ranges: [[{ subnet: "169.254.61.0/24" }], [{ subnet: "fd00:61::/64" }]], ...ipamExtra },
    ...extra,
  };
}

type AddResult = { cniVersion: string; interfaces: { name: string; mac?: string; sandbox?: string }[]; ips?: { address: string; gateway?: string; interface?: number }[]; routes?: { dst: string; gw?: string }[] };

describe.skipIf(skip)(`bridge plugin${skip ? ` (skipped: ${skip})` : ""}`, () => {
  afterEach(removeWorkspaces);

  describe.each(PLUGIN_VERSIONS)("cniVersion %s through cnitool, host-local IPAM", (cniVersion) => {
    test("ADD, CHECK, DEL, DEL again: bridge, port, gateway, container interface, addresses, routes, ping", async () => {
      const ws = await setup();
      const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "ours" });
      ws.writeConflist("br", { cniVersion, name: "brnet", plugins: [bridgeConf(ws, { hairpinMode: true })] });

      const added = await cnitool(ws, "add", "brnet", cniPath);
      expect(added.stderr).toBe("");
      expect(added.exitCode).toBe(0);
      const result = added.json as AddResult;
      expect(result.cniVersion).toBe(cniVersion);
      expect(result.interfaces.map((i) => i.name)).toEqual(["cni-test0", expect.stringMatching(/^veth/), "eth0"]);
      expect(result.interfaces[2]?.sandbox).toBe(ws.ctr.path);
      expect(result.ips?.map((ip) => [ip.address, ip.gateway, ip.interface])).toEqual([
        ["169.254.61.2/24", "169.254.61.1", 2],
        ["fd00:61::2/64", "fd00:61::1", 2],
      ]);
      expect(result.routes).toEqual([
        { dst: "0.0.0.0/0", gw: "169.254.61.1" },
        { dst: "::/0", gw: "fd00:61::1" },
      ]);

      const hostLinks = await ws.host.ns.links();
      const bridge = hostLinks.find((l) => l.name === "cni-test0");
      expect(bridge).toMatchObject({ kind: "bridge", up: true, mtu: 1400, mac: result.interfaces[0]?.mac });
      expect(bridge?.addresses.filter((a) => a.scope === "global").map((a) => a.cidr)).toEqual(["169.254.61.1/24", "fd00:61::1/64"]);
      expect(hostLinks.find((l) => l.name === result.interfaces[1]?.name)).toMatchObject({ master: "cni-test0", hairpin: true, up: true, mac: result.interfaces[1]?.mac });

      const { links, routes } = await ws.ctr.ns.snapshot();
      const eth0 = links.find((l) => l.name === "eth0");
      expect(eth0).toMatchObject({ kind: "veth", up: true, mtu: 1400, mac: result.interfaces[2]?.mac });
      expect(eth0?.addresses.filter((a) => a.scope === "global").map((a) => a.cidr)).toEqual(["169.254.61.2/24", "fd00:61::2/64"]);
      expect(routes).toContainEqual(expect.objectContaining({ dst: "0.0.0.0/0", gw: "169.254.61.1", dev: "eth0" }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: "::/0", gw: "fd00:61::1", dev: "eth0" }));
      expect(await ping(ws.ctr, "169.254.61.1")).toBe(true);
      expect(await ping(ws.ctr, "fd00:61::1")).toBe(true);

      if (supportsCheck(cniVersion)) expect(await cnitool(ws, "check", "brnet", cniPath)).toMatchObject({ exitCode: 0, stdout: "" });
      for (let i = 0; i < 2; i++) {
        expect(await cnitool(ws, "del", "brnet", cniPath)).toMatchObject({ exitCode: 0 });
        expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
        expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
        expect(leases(ws, "brnet")).toEqual([]);
      }
      expect(await ws.host.ns.link("cni-test0")).toMatchObject({ kind: "bridge" }); // shared: it stays
    });
  });

  test.each(["0.1.0", "0.2.0"])("legacy cniVersion %s through cnitool: ip4/ip6 result, ping, DEL twice", async (cniVersion) => {
    const ws = await setup();
    const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "ours" });
    ws.writeConflist("br", { cniVersion, name: "brnet", plugins: [bridgeConf(ws)] });
    const added = await cnitool(ws, "add", "brnet", cniPath);
    expect(added).toMatchObject({ exitCode: 0, stderr: "" });
    expect(added.json).toMatchObject({ cniVersion, ip4: { ip: "169.254.61.2/24", gateway: "169.254.61.1", routes: [{ dst: "0.0.0.0/0", gw: "169.254.61.1" }] }, ip6: { ip: "fd00:61::2/64" } });
    expect(await ping(ws.ctr, "169.254.61.1")).toBe(true);
    for (let i = 0; i < 2; i++) expect(await cnitool(ws, "del", "brnet", cniPath)).toMatchObject({ exitCode: 0 });
    expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    expect(leases(ws, "brnet")).toEqual([]);
  });

  describe("as a runtime execs it", () => {
    async function exec(ws: Workspace, command: string, config: object, o: { ctr?: TestNetns; netns?: string; containerId?: string } = {}) {
      return execPluginBinary({
        binary: join(distBin, "bridge"),
        hostNetns: ws.host.path,
        command,
        netns: o.netns ?? (o.ctr ?? ws.ctr).path,
        containerId: o.containerId ?? "br-ctr",
        path: [ws.pluginDir({ "host-local": "ours" })],
        config,
      });
    }
    const conf = (ws: Workspace, extra: object = {}, ipamExtra: object = {}) => ({ cniVersion: "1.1.0", name: "brnet", ...bridgeConf(ws, extra, ipamExtra) });

    test("8 concurrent ADDs share one bridge, get distinct addresses, and reach the gateway and each other", async () => {
      const ws = await setup();
      const ctrs = await Promise.all(Array.from({ length: 8 }, () => createTestNetns("brx")));
      const runs = await Promise.all(ctrs.map((ctr, i) => exec(ws, "ADD", conf(ws), { ctr, containerId: `ctr-${i}` })));
      for (const run of runs) expect(run.stderr).toBe("");
      expect(runs.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
      const v4 = runs.map((r) => (r.json as AddResult).ips?.[0]?.address.split("/")[0] ?? "");
      expect(new Set(v4).size).toBe(8);
      expect((await ws.host.ns.links()).filter((l) => l.kind === "bridge").map((l) => l.name)).toEqual(["cni-test0"]);
      expect(await ping(ctrs[0] as TestNetns, "169.254.61.1")).toBe(true);
      expect(await ping(ctrs[0] as TestNetns, v4[7] as string)).toBe(true);
      const dels = await Promise.all(ctrs.map((ctr, i) => exec(ws, "DEL", conf(ws), { ctr, containerId: `ctr-${i}` })));
      expect(dels.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
      expect(leases(ws, "brnet")).toEqual([]);
    });

    test("a step failing after IPAM: the veth is deleted and the lease released", async () => {
      const ws = await setup();
      // A route whose gateway is not on any link: the container batch fails after IPAM and the veth succeeded.
      const run = await exec(ws, "ADD", conf(ws, {}, { routes: [{ dst: "169.254.200.0/24", gw: "169.254.99.1" }] }));
      expect(run.exitCode).toBe(1);
      expect(run.json).toMatchObject({ code: 999, msg: expect.stringContaining("route replace 169.254.200.0/24 via 169.254.99.1") });
      expect(leases(ws, "brnet")).toEqual([]);
      expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
      expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
    });

    test("a bridge port step failing (the pair and its port set up by one ip): the error names the step, the veth is deleted and the lease released", async () => {
      const ws = await setup();
      await ws.host.ns.ensureBridge({ name: "cni-test0" });
      // IPv6 off on the bridge: taking the IPv6 gateway address fails after the pair was made.
      await ws.host.ns.sysctl("net/ipv6/conf/cni-test0/disable_ipv6", "1");
      const run = await exec(ws, "ADD", conf(ws));
      expect(run.exitCode).toBe(1);
      expect(run.json).toMatchObject({ code: 999, msg: "ip addr replace fd00:61::1/64 dev cni-test0 nodad failed in the host namespace" });
      expect(leases(ws, "brnet")).toEqual([]);
      expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
      expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
    });

    test("an IPAM route without gw goes via the gateway of its family (the spec's assumed default gateway)", async () => {
      const ws = await setup();
      const run = await exec(ws, "ADD", conf(ws, {}, { routes: [{ dst: "169.254.200.0/24" }, { dst: "fd00:200::/64" }] }));
      expect(run.exitCode).toBe(0);
      // The result carries the route as IPAM gave it; the container's table has the gateway filled in.
      expect((run.json as AddResult).routes).toEqual(expect.arrayContaining([{ dst: "169.254.200.0/24" }]));
      const routes = await ws.ctr.ns.routes();
      expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.200.0/24", gw: "169.254.61.1", dev: "eth0" }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: "fd00:200::/64", gw: "fd00:61::1", dev: "eth0" }));
      expect(await exec(ws, "DEL", conf(ws, {}, { routes: [{ dst: "169.254.200.0/24" }, { dst: "fd00:200::/64" }] }))).toMatchObject({ exitCode: 0 });
    });

    test("CNI_IFNAME already taken: the error names it and the lease is released", async () => {
      const ws = await setup();
      await ws.ctr.ns.ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "other0"]);
      const run = await exec(ws, "ADD", conf(ws));
      expect(run.json).toMatchObject({ code: 999, msg: `interface eth0 already exists in netns ${ws.ctr.path}` });
      expect(leases(ws, "brnet")).toEqual([]);
    });

    test("config refusals: hairpin with promisc (7), an iptables ipMasqBackend (2), vlan (2)", async () => {
      const ws = await setup();
      expect((await exec(ws, "ADD", conf(ws, { hairpinMode: true, promiscMode: true }))).json).toMatchObject({ code: 7, msg: "hairpinMode and promiscMode cannot both be true" });
      expect((await exec(ws, "ADD", conf(ws, { ipMasq: true, ipMasqBackend: "iptables" }))).json).toMatchObject({ code: 2, msg: 'unsupported field ipMasqBackend: "iptables"' });
      expect((await exec(ws, "ADD", conf(ws, { vlan: 100 }))).json).toMatchObject({ code: 2, msg: "unsupported field vlan: 100" });
      expect((await exec(ws, "ADD", conf(ws, { bridge: "a bad name" }))).json).toMatchObject({ code: 7 });
      expect(leases(ws, "brnet")).toEqual([]);
      // DEL of a config ADD refused still succeeds.
      expect(await exec(ws, "DEL", conf(ws, { vlan: 100 }))).toMatchObject({ exitCode: 0 });
    });

    test("promiscMode sets the bridge promiscuous; without isGateway the bridge holds no address", async () => {
      const ws = await setup();
      const run = await exec(ws, "ADD", conf(ws, { promiscMode: true, isDefaultGateway: false }));
      expect(run.exitCode).toBe(0);
      const bridge = await ws.host.ns.link("cni-test0");
      expect(bridge?.promisc).toBe(true);
      expect(bridge?.addresses.filter((a) => a.scope === "global")).toEqual([]);
      expect((run.json as AddResult).routes).toBeUndefined();
    });

    test("a bridge holding another subnet's address: an error, unless forceAddress replaces it", async () => {
      const ws = await setup();
      await ws.host.ns.ensureBridge({ name: "cni-test0" });
      await ws.host.ns.addAddress({ dev: "cni-test0", cidr: "169.254.70.1/24" });
      const refused = await exec(ws, "ADD", conf(ws));
      expect(refused.json).toMatchObject({ code: 999, msg: expect.stringContaining("bridge cni-test0 already has address 169.254.70.1/24") });
      expect(leases(ws, "brnet")).toEqual([]);
      const forced = await exec(ws, "ADD", conf(ws, { forceAddress: true }));
      expect(forced.exitCode).toBe(0);
      const held = (await ws.host.ns.addresses("cni-test0")).filter((a) => a.family === 4).map((a) => a.cidr);
      expect(held).toEqual(["169.254.61.1/24"]);
    });

    test("enabledad: ADD returns once the container's IPv6 address has passed DAD", async () => {
      const ws = await setup();
      const run = await exec(ws, "ADD", conf(ws, { enabledad: true }));
      expect(run.exitCode).toBe(0);
      const v6 = (await ws.ctr.ns.addresses("eth0")).find((a) => a.cidr === "fd00:61::2/64");
      expect(v6).toMatchObject({ tentative: false, dadFailed: false });
    });

    test("the mac capability (runtimeConfig.mac) and CNI_ARGS MAC set the container's MAC; a bad one is code 7 before any change", async () => {
      const ws = await setup();
      const run = await exec(ws, "ADD", { ...conf(ws), runtimeConfig: { mac: "02:11:22:33:44:55" } });
      expect(run.exitCode).toBe(0);
      expect((await ws.ctr.ns.link("eth0"))?.mac).toBe("02:11:22:33:44:55");
      expect((run.json as AddResult).interfaces[2]?.mac).toBe("02:11:22:33:44:55");
      expect((await exec(ws, "DEL", conf(ws))).exitCode).toBe(0);
      const bad = await exec(ws, "ADD", { ...conf(ws), runtimeConfig: { mac: "02:11:22" } });
      expect(bad.json).toMatchObject({ code: 7, msg: 'invalid MAC address "02:11:22"' });
      expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    });

    test("layer 2 only (no ipam): interfaces, no addresses", async () => {
      const ws = await setup();
      const run = await exec(ws, "ADD", { cniVersion: "1.0.0", name: "l2net", type: "bridge", bridge: "cni-l2" });
      expect(run.exitCode).toBe(0);
      expect(run.json).toMatchObject({ cniVersion: "1.0.0", interfaces: [{ name: "cni-l2" }, {}, { name: "eth0", sandbox: ws.ctr.path }] });
      expect((run.json as AddResult).ips).toBeUndefined();
      expect(await exec(ws, "DEL", { cniVersion: "1.0.0", name: "l2net", type: "bridge", bridge: "cni-l2" })).toMatchObject({ exitCode: 0 });
      // 0.2.0 could not report it: refused before anything is made.
      const legacy = await exec(ws, "ADD", { cniVersion: "0.2.0", name: "l2net", type: "bridge", bridge: "cni-l2" });
      expect(legacy.json).toMatchObject({ code: 7, msg: "a bridge without ipam needs cniVersion 0.3.0 or later, config is 0.2.0" });
      expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    });

    test("CHECK catches a port taken off the bridge and a hairpin mode changed", async () => {
      const ws = await setup();
      const added = await exec(ws, "ADD", conf(ws));
      const prevResult = added.json as AddResult;
      const checkConf = { ...conf(ws), prevResult };
      expect(await exec(ws, "CHECK", checkConf)).toMatchObject({ exitCode: 0, stdout: "" });
      const port = prevResult.interfaces[1]?.name ?? "";
      await ws.host.ns.setLink(port, { hairpin: true });
      expect((await exec(ws, "CHECK", checkConf)).json).toMatchObject({ msg: `host interface ${port} has hairpin on, config says off` });
      await ws.host.ns.setLink(port, { master: null });
      expect((await exec(ws, "CHECK", checkConf)).json).toMatchObject({ msg: `host interface ${port} is not a port of cni-test0` });
      await ws.ctr.ns.deleteAddress({ dev: "eth0", cidr: "169.254.61.2/24" });
      expect((await exec(ws, "CHECK", checkConf)).json).toMatchObject({ msg: "container network does not match prevResult: address 169.254.61.2/24 is missing from eth0" });
    });

    test("ADD killed at any point, then DEL as the runtime retries it: nothing is left behind", async () => {
      const ws = await setup();
      const cniPath = ws.pluginDir({ "host-local": "ours" });
      const config = JSON.stringify(conf(ws));
      const env = { PATH: "/usr/bin:/usr/sbin:/bin:/sbin", CNI_CONTAINERID: "killed", CNI_NETNS: ws.ctr.path, CNI_IFNAME: "eth0", CNI_PATH: cniPath };
      for (const delayMs of [5, 30, 60, 90, 120, 150, 200, 400]) {
        const child = spawn("nsenter", [`--net=${ws.host.path}`, "--", join(distBin, "bridge")], { env: { ...env, CNI_COMMAND: "ADD" }, stdio: ["pipe", "ignore", "ignore"] });
        child.stdin.end(config);
        const exited = new Promise((r) => child.on("close", r));
        await new Promise((r) => setTimeout(r, delayMs));
        child.kill("SIGKILL");
        await exited;
        const del = await exec(ws, "DEL", conf(ws), { containerId: "killed" });
        expect(del, `DEL after a kill at ${delayMs} ms`).toMatchObject({ exitCode: 0 });
        expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
        expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
        expect(leases(ws, "brnet"), `leases after a kill at ${delayMs} ms`).toEqual([]);
      }
    });

    test("DEL with the namespace gone releases the lease; STATUS and GC reach IPAM", async () => {
      const ws = await setup();
      expect((await exec(ws, "ADD", conf(ws))).exitCode).toBe(0);
      await ws.ctr.remove();
      expect(await exec(ws, "DEL", conf(ws))).toMatchObject({ exitCode: 0, stdout: "" });
      expect(leases(ws, "brnet")).toEqual([]);
      expect(await exec(ws, "STATUS", conf(ws))).toMatchObject({ exitCode: 0, stdout: "" });
      expect(await exec(ws, "GC", { ...conf(ws), "cni.dev/valid-attachments": [] })).toMatchObject({ exitCode: 0, stdout: "" });
    });
  });
});
