/**
 * Our plugins next to Debian's Go plugins (containernetworking-plugins 1.1.1,
 * spec up to 1.0.0) and driven by Debian's Go libcni (1.1.2): the same
 * namespaces, configs and IPAM stores, in both directions.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { GO_PLUGIN_DIR, type Workspace, cnitool, createTestNetns, execPluginBinary, leases, ping, supportsCheck, workspacePool } from "@tscni/netns/testkit";
import { skipReason } from "../support/prereq.js";
import { buildGoDriver, runDriver } from "../../packages/libcni/test/go-driver.js";

const skip = skipReason({
  netns: true,
  commands: ["go"],
  executables: ["/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/ptp", "/usr/lib/cni/tuning"],
});
const GO_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"] as const;
const distBin = resolve(import.meta.dirname, "../../dist/bin");
const { create: setup, removeAll: removeWorkspaces } = workspacePool("io", { bin: distBin });

const hostLocal = (ws: Workspace, subnet: string) => ({ type: "host-local", dataDir: ws.ipamData, ranges: [[{ subnet }]] });

type AddResult = { cniVersion: string; interfaces?: { name: string; sandbox?: string }[]; ips?: { address: string; gateway?: string }[] };

/** ADD, the container checks, CHECK where the version has it, DEL twice; returns the ADD result. */
async function lifecycle(ws: Workspace, net: string, cniPath: string, cniVersion: string, gateway: string): Promise<AddResult> {
  const added = await cnitool(ws, "add", net, cniPath);
  expect(added.stderr).toBe("");
  expect(added.exitCode).toBe(0);
  const result = added.json as AddResult;
  expect(result.cniVersion).toBe(cniVersion);
  const eth0 = await ws.ctr.ns.link("eth0");
  expect(eth0).toMatchObject({ kind: "veth", up: true });
  expect(eth0?.addresses.map((a) => a.cidr)).toContain(result.ips?.[0]?.address);
  expect(await ping(ws.ctr, gateway)).toBe(true);
  if (supportsCheck(cniVersion)) {
    const checked = await cnitool(ws, "check", net, cniPath);
    expect(checked.stderr).toBe("");
    expect(checked.exitCode).toBe(0);
  }
  for (let i = 0; i < 2; i++) expect(await cnitool(ws, "del", net, cniPath)).toMatchObject({ exitCode: 0 });
  expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
  expect(leases(ws, net)).toEqual([]);
  return result;
}

describe.skipIf(skip)(`mixed chains with Debian's Go plugins${skip ? ` (skipped: ${skip})` : ""}`, () => {
  afterEach(removeWorkspaces);

  describe.each(GO_VERSIONS)("cniVersion %s", (cniVersion) => {
    test("our bridge delegating to Go host-local", async () => {
      const ws = await setup();
      const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "go" });
      ws.writeConflist("net", { cniVersion, name: "mixnet", plugins: [{ type: "bridge", bridge: "cni-mix0", isGateway: true, ipam: hostLocal(ws, "169.254.80.0/24") }] });
      const result = await lifecycle(ws, "mixnet", cniPath, cniVersion, "169.254.80.1");
      expect(result.ips?.[0]).toMatchObject({ address: "169.254.80.2/24", gateway: "169.254.80.1" });
    });

    test("Go bridge delegating to our host-local", async () => {
      const ws = await setup();
      const cniPath = ws.pluginDir({ bridge: "go", "host-local": "ours" });
      ws.writeConflist("net", { cniVersion, name: "mixnet", plugins: [{ type: "bridge", bridge: "cni-mix1", isGateway: true, ipam: hostLocal(ws, "169.254.81.0/24") }] });
      const result = await lifecycle(ws, "mixnet", cniPath, cniVersion, "169.254.81.1");
      expect(result.ips?.[0]).toMatchObject({ address: "169.254.81.2/24", gateway: "169.254.81.1" });
    });
  });

  test("our ptp with Go host-local, and Go ptp with our host-local", async () => {
    for (const choice of [{ ptp: "ours", "host-local": "go" }, { ptp: "go", "host-local": "ours" }] as const) {
      const ws = await setup();
      const cniPath = ws.pluginDir(choice);
      ws.writeConflist("net", { cniVersion: "1.0.0", name: "ptpmix", plugins: [{ type: "ptp", ipam: { ...hostLocal(ws, "169.254.82.0/24"), routes: [{ dst: "0.0.0.0/0" }] } }] });
      await lifecycle(ws, "ptpmix", cniPath, "1.0.0", "169.254.82.1");
    }
  });

  test("our bridge and Go's bridge share one bridge and one IPAM store: containers of each reach the other", async () => {
    const ws = await setup();
    const other = await createTestNetns("ioc2");
    const config = { cniVersion: "1.0.0", name: "shared", type: "bridge", bridge: "cni-shared", isGateway: true, ipam: hostLocal(ws, "169.254.85.0/24") };
    const cniPath = [ws.pluginDir({ "host-local": "go" })];
    const run = (binary: string, command: string, netns: string, containerId: string) =>
      execPluginBinary({ binary, hostNetns: ws.host.path, command, netns, containerId, path: cniPath, config });
    const goAdd = await run(join(GO_PLUGIN_DIR, "bridge"), "ADD", other.path, "go-ctr");
    expect(goAdd.exitCode).toBe(0);
    const ourAdd = await run(join(distBin, "bridge"), "ADD", ws.ctr.path, "ts-ctr");
    expect(ourAdd.stderr).toBe("");
    expect(ourAdd.exitCode).toBe(0);
    const goIp = (goAdd.json as AddResult).ips?.[0]?.address.split("/")[0] ?? "";
    const ourIp = (ourAdd.json as AddResult).ips?.[0]?.address.split("/")[0] ?? "";
    expect(new Set([goIp, ourIp]).size).toBe(2);
    expect(await ping(ws.ctr, goIp)).toBe(true);
    expect(await ping(other, ourIp)).toBe(true);
    // Go's container leaves; ours is untouched and still passes CHECK, then leaves too.
    expect((await run(join(GO_PLUGIN_DIR, "bridge"), "DEL", other.path, "go-ctr")).exitCode).toBe(0);
    expect(await execPluginBinary({ binary: join(distBin, "bridge"), hostNetns: ws.host.path, command: "CHECK", netns: ws.ctr.path, containerId: "ts-ctr", path: cniPath, config: { ...config, prevResult: ourAdd.json } })).toMatchObject({ exitCode: 0 });
    expect((await run(join(distBin, "bridge"), "DEL", ws.ctr.path, "ts-ctr")).exitCode).toBe(0);
    expect(leases(ws, "shared")).toEqual([]);
    expect((await ws.host.ns.links()).filter((l) => l.kind === "veth")).toEqual([]);
  });

  test("one list, three authors: our bridge -> Go tuning -> our loopback; prevResult flows through all", async () => {
    const ws = await setup();
    const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "go", tuning: "go", loopback: "ours" });
    ws.writeConflist("net", {
      cniVersion: "1.0.0",
      name: "chain",
      plugins: [
        { type: "bridge", bridge: "cni-chain0", isDefaultGateway: true, ipam: hostLocal(ws, "169.254.83.0/24") },
        { type: "tuning", sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" } },
        { type: "loopback" },
      ],
    });
    const added = await cnitool(ws, "add", "chain", cniPath);
    expect(added.stderr).toBe("");
    expect(added.exitCode).toBe(0);
    // The final result is the bridge's, passed through tuning and loopback unchanged.
    expect(added.json).toMatchObject({ cniVersion: "1.0.0", interfaces: [{ name: "cni-chain0" }, {}, { name: "eth0", sandbox: ws.ctr.path }], ips: [{ address: "169.254.83.2/24", interface: 2 }] });
    expect(await ws.ctr.ns.readSysctl("net/ipv4/conf/eth0/arp_notify")).toBe("1");
    expect((await ws.ctr.ns.link("lo"))?.up).toBe(true);
    expect(await ping(ws.ctr, "169.254.83.1")).toBe(true);
    expect(await cnitool(ws, "check", "chain", cniPath)).toMatchObject({ exitCode: 0 });
    for (let i = 0; i < 2; i++) expect(await cnitool(ws, "del", "chain", cniPath)).toMatchObject({ exitCode: 0 });
    expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    expect(leases(ws, "chain")).toEqual([]);
  });
});

describe.skipIf(skip)(`our plugins in a list driven by Debian's Go libcni${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let buildDir = "";
  let driver = "";
  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), "tscni-golibcni-"));
    driver = buildGoDriver(buildDir);
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));
  afterEach(removeWorkspaces);

  test.each(["bridge", "ptp"] as const)("%s + host-local + loopback, all ours: add, check, del, del", async (main) => {
    const ws = await setup();
    const cniPath = ws.pluginDir({ [main]: "ours", "host-local": "ours", loopback: "ours" });
    const conf = join(ws.dir, "list.conflist");
    const ipam = { ...hostLocal(ws, "169.254.84.0/24"), routes: [{ dst: "0.0.0.0/0" }] };
    const first = main === "bridge" ? { type: "bridge", bridge: "cni-go0", isGateway: true, ipam } : { type: "ptp", ipam };
    writeFileSync(conf, JSON.stringify({ cniVersion: "1.0.0", name: "golist", plugins: [first, { type: "loopback" }] }));
    const args = { conf, cache: join(ws.dir, "gocache"), netns: ws.ctr.path, cid: "go-driven", cniPath, inNetns: ws.host.name };

    const added = runDriver(driver, "add", args);
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ cniVersion: "1.0.0", ips: [{ address: "169.254.84.2/24", gateway: "169.254.84.1" }] });
    expect(await ping(ws.ctr, "169.254.84.1")).toBe(true);
    expect((await ws.ctr.ns.link("lo"))?.up).toBe(true);
    expect(runDriver(driver, "check", args)).toMatchObject({ status: 0, stderr: "" });
    expect(runDriver(driver, "del", args)).toMatchObject({ status: 0 });
    expect(runDriver(driver, "del", args)).toMatchObject({ status: 0 });
    expect(await ws.ctr.ns.link("eth0")).toBeUndefined();
    expect(leases(ws, "golist")).toEqual([]);
  });
});
