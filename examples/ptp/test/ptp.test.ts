import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { PLUGIN_VERSIONS, cnitool, execPluginBinary, leases, ping, requireNetns, supportsCheck, workspacePool } from "@tscni/netns/testkit";
import type { Workspace } from "@tscni/netns/testkit";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const skip = requireNetns();
const distBin = PLUGIN_BIN;
const { create: setup, removeAll: removeWorkspaces } = workspacePool("ptp", { bin: distBin, cnitool: CNITOOL });

function ptpConf(ws: Workspace, extra: object = {}) {
  return {
    type: "ptp",
    mtu: 1400,
    ipam: {
      type: "host-local",
      dataDir: ws.ipamData,
      ranges: [[{ subnet: "169.254.51.0/24" }], [{ subnet: "fd00:51::/64" }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "169.254.200.0/24", gw: "169.254.51.1", mtu: 1300 }],
    },
    ...extra,
  };
}

describe.skipIf(skip)(`ptp plugin${skip ? ` (skipped: ${skip})` : ""}`, () => {
  afterEach(removeWorkspaces);

  describe.each(PLUGIN_VERSIONS)("cniVersion %s through cnitool, host-local IPAM", (cniVersion) => {
    test("ADD, CHECK, DEL, DEL again: interface, addresses, routes, host routes, ping to the gateway", async () => {
      const ws = await setup();
      const cniPath = ws.pluginDir({ ptp: "ours", "host-local": "ours" });
      ws.writeConflist("ptp", { cniVersion, name: "ptpnet", plugins: [ptpConf(ws)] });

      const added = await cnitool(ws, "add", "ptpnet", cniPath);
      expect(added.stderr).toBe("");
      expect(added.exitCode).toBe(0);
      const result = added.json as { cniVersion: string; interfaces: { name: string; mac: string; sandbox?: string }[]; ips: { address: string; gateway: string; interface: number }[] };
      expect(result.cniVersion).toBe(cniVersion);
      expect(result.interfaces[1]).toMatchObject({ name: "eth0", sandbox: ws.ctr.path });
      expect(result.ips.map((ip) => [ip.address, ip.gateway, ip.interface])).toEqual([
        ["169.254.51.2/24", "169.254.51.1", 1],
        ["fd00:51::2/64", "fd00:51::1", 1],
      ]);

      const { links, routes } = await ws.ctr.ns.snapshot();
      const eth0 = links.find((l) => l.name === "eth0");
      expect(eth0).toMatchObject({ kind: "veth", up: true, mtu: 1400, mac: result.interfaces[1]?.mac });
      expect(eth0?.addresses.filter((a) => a.scope === "global").map((a) => a.cidr)).toEqual(["169.254.51.2/24", "fd00:51::2/64"]);
      expect(routes).toContainEqual(expect.objectContaining({ dst: "0.0.0.0/0", gw: "169.254.51.1", dev: "eth0" }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.200.0/24", gw: "169.254.51.1", mtu: 1300 }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.51.1/32", dev: "eth0", scope: 253 }));

      const hostEnd = await ws.host.ns.link(result.interfaces[0]?.name ?? "");
      expect(hostEnd?.addresses.filter((a) => a.scope === "global").map((a) => a.cidr)).toEqual(["169.254.51.1/32", "fd00:51::1/128"]);
      expect(await ws.host.ns.routes()).toContainEqual(expect.objectContaining({ dst: "169.254.51.2/32", dev: result.interfaces[0]?.name }));
      expect(await ping(ws.ctr, "169.254.51.1")).toBe(true);
      expect(await ping(ws.ctr, "fd00:51::1")).toBe(true);

      if (supportsCheck(cniVersion)) expect(await cnitool(ws, "check", "ptpnet", cniPath)).toMatchObject({ exitCode: 0, stdout: "" });
      for (let i = 0; i < 2; i++) {
        expect(await cnitool(ws, "del", "ptpnet", cniPath)).toMatchObject({ exitCode: 0 });
        expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
        expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
        expect(leases(ws, "ptpnet")).toEqual([]);
      }
    });
  });

  test.each(["0.1.0", "0.2.0"])("legacy cniVersion %s through cnitool: ip4/ip6 result, ping, DEL twice", async (cniVersion) => {
    const ws = await setup();
    const cniPath = ws.pluginDir({ ptp: "ours", "host-local": "ours" });
    ws.writeConflist("ptp", { cniVersion, name: "ptpnet", plugins: [ptpConf(ws)] });
    const added = await cnitool(ws, "add", "ptpnet", cniPath);
    expect(added).toMatchObject({ exitCode: 0, stderr: "" });
    expect(added.json).toMatchObject({ cniVersion, ip4: { ip: "169.254.51.2/24", gateway: "169.254.51.1" }, ip6: { ip: "fd00:51::2/64", gateway: "fd00:51::1" } });
    expect(await ping(ws.ctr, "169.254.51.1")).toBe(true);
    for (let i = 0; i < 2; i++) expect(await cnitool(ws, "del", "ptpnet", cniPath)).toMatchObject({ exitCode: 0 });
    expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    expect(leases(ws, "ptpnet")).toEqual([]);
  });

  test("CHECK reports a route removed after ADD", async () => {
    const ws = await setup();
    const cniPath = ws.pluginDir({ ptp: "ours", "host-local": "ours" });
    ws.writeConflist("ptp", { cniVersion: "1.1.0", name: "ptpnet", plugins: [ptpConf(ws)] });
    expect((await cnitool(ws, "add", "ptpnet", cniPath)).exitCode).toBe(0);
    await ws.ctr.ns.deleteRoute({ dst: "169.254.200.0/24" });
    const checked = await cnitool(ws, "check", "ptpnet", cniPath);
    expect(checked.exitCode).toBe(1);
    expect(checked.stderr).toContain("route to 169.254.200.0/24 via 169.254.51.1 is missing from table 254");
  });

  describe("as a runtime execs it", () => {
    async function exec(ws: Workspace, command: string, config: object, extra: { ifName?: string; netns?: string } = {}) {
      return execPluginBinary({
        binary: join(distBin, "ptp"),
        hostNetns: ws.host.path,
        command,
        netns: extra.netns ?? ws.ctr.path,
        ifName: extra.ifName ?? "eth0",
        containerId: "ptp-ctr",
        path: [ws.pluginDir({ "host-local": "ours" })],
        config,
      });
    }

    test("CNI_IFNAME already taken: ADD fails naming it and the IPAM lease is released (rollback)", async () => {
      const ws = await setup();
      await ws.ctr.ns.ip(["link", "add", "name", "eth0", "type", "veth", "peer", "name", "other0"]);
      const run = await exec(ws, "ADD", { cniVersion: "1.0.0", name: "ptpnet", ...ptpConf(ws) });
      expect(run.exitCode).toBe(1);
      expect(run.json).toMatchObject({ code: 999, msg: `interface eth0 already exists in netns ${ws.ctr.path}` });
      expect(leases(ws, "ptpnet")).toEqual([]);
      expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
    });

    test("IPAM failing, or answering without a gateway: ADD fails and IPAM gets its DEL (recorded by the noop test double)", async () => {
      const ws = await setup();
      const record = join(ws.dir, "ipam-calls.jsonl");
      const run = (script: object) =>
        execPluginBinary({
          binary: join(distBin, "ptp"),
          hostNetns: ws.host.path,
          command: "ADD",
          netns: ws.ctr.path,
          containerId: "ptp-ctr",
          path: [ws.pluginDir({ noop: "ours" })],
          config: { cniVersion: "1.0.0", name: "ptpnet", type: "ptp", ipam: { type: "noop" }, recordFile: record, ...script },
        });
      const verbs = () => readFileSync(record, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { verb: string }).verb);

      const failing = await run({ fail: { ADD: { code: 11, msg: "IPAM store busy" } } });
      expect(failing.json).toMatchObject({ code: 11, msg: "IPAM store busy" });
      expect(verbs()).toEqual(["ADD", "DEL"]);

      const noGateway = await run({ result: { cniVersion: "1.0.0", ips: [{ address: "169.254.52.2/24" }] } });
      expect(noGateway.json).toMatchObject({ code: 7, msg: "IPAM returned 169.254.52.2/24 without a gateway" });
      expect(verbs()).toEqual(["ADD", "DEL", "ADD", "DEL"]);
      expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    });

    test("ipMasq is refused as an unsupported field, a config without ipam is invalid", async () => {
      const ws = await setup();
      const masq = await exec(ws, "ADD", { cniVersion: "1.0.0", name: "ptpnet", ...ptpConf(ws, { ipMasq: true }) });
      expect(masq.json).toMatchObject({ code: 2, msg: "unsupported field ipMasq: true" });
      const noIpam = await exec(ws, "ADD", { cniVersion: "1.0.0", name: "ptpnet", type: "ptp" });
      expect(noIpam.exitCode).toBe(1);
      expect(noIpam.json).toMatchObject({ code: 7 });
      expect(JSON.stringify(noIpam.json)).toContain("ipam");
      expect(leases(ws, "ptpnet")).toEqual([]);
    });

    test("DEL with the namespace gone releases the lease and succeeds; ADD then is code 3", async () => {
      const ws = await setup();
      const conf = { cniVersion: "1.1.0", name: "ptpnet", ...ptpConf(ws) };
      expect((await exec(ws, "ADD", conf)).exitCode).toBe(0);
      expect(leases(ws, "ptpnet")).toHaveLength(2);
      await ws.ctr.remove();
      expect(await exec(ws, "DEL", conf)).toMatchObject({ exitCode: 0, stdout: "" });
      expect(leases(ws, "ptpnet")).toEqual([]);
      expect(await exec(ws, "DEL", conf, { netns: "" })).toMatchObject({ exitCode: 0 });
      expect((await exec(ws, "ADD", conf)).json).toMatchObject({ code: 3 });
      expect(leases(ws, "ptpnet")).toEqual([]);
    });
  });
});
