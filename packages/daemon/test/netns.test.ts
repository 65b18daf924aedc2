/**
 * Daemon mode as a runtime sees it: Debian's Go libcni (the go-driver the
 * suite builds) runs conflists whose plugins are our shims, next to Debian's
 * Go plugins, in throwaway namespaces. The daemon runs in the test's "host"
 * namespace, as a node's daemon runs in the node's: the root namespace is
 * never touched.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installShims } from "@tscni/daemon";
import { createTestNetns, ping, removeAllTestNetns } from "@tscni/netns/testkit";
import type { TestNetns } from "@tscni/netns/testkit";
import { skipReason } from "../../../test/support/prereq.js";
import { buildGoDriver, runDriver } from "../../libcni/test/go-driver.js";
import type { DriverArgs, DriverRun } from "../../libcni/test/go-driver.js";
import { bundle, DIST_BIN, SHIM, startDaemon } from "./helpers.js";
import type { RunningDaemon } from "./helpers.js";

const PLUGINS = ["bridge", "host-local", "loopback"];
const skip = skipReason({
  netns: true,
  commands: ["go", "ip", "ping"],
  executables: [SHIM, "/usr/lib/cni/tuning", ...PLUGINS.map((p) => join(DIST_BIN, p))],
});

/** The driver as a separate process, so many run at once. */
function driverAsync(driver: string, verb: string, a: DriverArgs): Promise<DriverRun> {
  return new Promise((resolve) => {
    const argv = [driver, "-conf", a.conf, "-cache", a.cache, "-netns", a.netns ?? "", "-cid", a.cid, "-ifname", a.ifname ?? "eth0", verb];
    const p = spawn("ip", ["netns", "exec", a.inNetns!, "env", "-i", `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`, `CNI_PATH=${a.cniPath}`, ...argv]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(skip)(`Go libcni through daemon-mode shims${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let driver: string;
  let daemonJs: string;
  let bin: string;
  let socket: string;
  let cniPath: string;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tscni-daemon-netns-"));
    driver = buildGoDriver(dir);
    daemonJs = await bundle(join(import.meta.dirname, "fixtures/daemon-entry.ts"), join(dir, "daemon.cjs"));
    bin = join(dir, "bin");
    mkdirSync(bin);
    socket = join(dir, "run", "d.sock");
    await installShims({ binDir: bin, socketPath: socket, plugins: PLUGINS, shimPath: SHIM });
    // Shims first; Debian's Go plugins for what we do not shim (tuning).
    cniPath = `${bin}:/usr/lib/cni`;
  }, 180_000);
  afterEach(async () => {
    await daemon?.stop("SIGKILL");
    daemon = undefined;
    await removeAllTestNetns();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (host: TestNetns) =>
    startDaemon(daemonJs, ["--socket", socket, ...PLUGINS.flatMap((p) => ["--plugin", `${p}=${join(DIST_BIN, p)}`])], host.name);
  const conflist = (name: string, bridge: string, subnet: string, data: string, extra: object[] = []) => {
    const file = join(dir, `${name}.conflist`);
    writeFileSync(
      file,
      JSON.stringify({
        cniVersion: "1.0.0",
        name,
        plugins: [{ type: "bridge", bridge, isGateway: true, ipam: { type: "host-local", ranges: [[{ subnet }]], dataDir: data } }, ...extra],
      }),
    );
    return file;
  };
  const leases = (data: string, net: string) => readdirSync(join(data, net)).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n));
  const veths = async (host: TestNetns) => (await host.ns.links()).filter((l) => l.kind === "veth");

  it("bridge + host-local + loopback shims, with Go's tuning in the list: ADD, ping, CHECK, DEL, DEL again", async () => {
    const host = await createTestNetns("dmn-host");
    const ctr = await createTestNetns("dmn-ctr");
    daemon = await start(host);
    const data = join(dir, "ipam-life");
    const conf = conflist("lifenet", "tscnid0", "169.254.90.0/24", data, [{ type: "tuning", sysctl: { "net.ipv4.conf.eth0.arp_notify": "1" } }, { type: "loopback" }]);
    const args: DriverArgs = { conf, cache: join(dir, "cache-life"), netns: ctr.path, cid: "life-1", cniPath, inNetns: host.name };
    const add = runDriver(driver, "add", args);
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ cniVersion: "1.0.0", ips: [{ address: "169.254.90.2/24", gateway: "169.254.90.1", interface: 2 }] });
    expect((await ctr.ns.link("lo"))?.up).toBe(true);
    expect(await ping(ctr, "169.254.90.1")).toBe(true);
    const check = runDriver(driver, "check", args);
    expect([check.status, check.stderr]).toEqual([0, ""]);
    for (let i = 0; i < 2; i++) {
      const del = runDriver(driver, "del", args);
      expect([del.status, del.stderr]).toEqual([0, ""]);
    }
    expect(await ctr.ns.link("eth0")).toBeUndefined();
    expect(await veths(host)).toEqual([]);
    expect(leases(data, "lifenet")).toEqual([]);
    expect(daemon.log()).not.toMatch(/error outside any request/);
  }, 60_000);

  it("a runtime in another network namespace than the daemon's: the host side is made in the runtime's, as an exec'd plugin's would be", async () => {
    const host = await createTestNetns("dmn-nh");
    const runtime = await createTestNetns("dmn-nr");
    const ctr = await createTestNetns("dmn-nc");
    daemon = await start(host);
    const data = join(dir, "ipam-other");
    const conf = conflist("othernet", "tscnid2", "169.254.94.0/24", data, [{ type: "loopback" }]);
    const args: DriverArgs = { conf, cache: join(dir, "cache-other"), netns: ctr.path, cid: "other-1", cniPath, inNetns: runtime.name };
    const names = async (ns: TestNetns) => (await ns.ns.links()).map((l) => l.name).sort();
    const add = runDriver(driver, "add", args);
    expect([add.status, add.stderr]).toEqual([0, ""]);
    expect(JSON.parse(add.stdout)).toMatchObject({ ips: [{ address: "169.254.94.2/24", gateway: "169.254.94.1" }] });
    // The bridge, its gateway address and the veth's host end are in the runtime's namespace; the daemon's has nothing.
    expect(await names(host)).toEqual(["lo"]);
    expect(await runtime.ns.link("tscnid2")).toMatchObject({ kind: "bridge", up: true });
    expect((await veths(runtime)).length).toBe(1);
    expect(await ping(ctr, "169.254.94.1")).toBe(true);
    // ip_forward (isGateway) was set where the bridge is, not in the daemon's namespace.
    expect(await runtime.ns.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(await host.ns.readSysctl("net.ipv4.ip_forward")).toBe("0");
    expect(runDriver(driver, "check", args).status).toBe(0);
    expect([runDriver(driver, "del", args).status, runDriver(driver, "del", args).status]).toEqual([0, 0]);
    expect(await veths(runtime)).toEqual([]);
    expect(leases(data, "othernet")).toEqual([]);
    expect(await names(host)).toEqual(["lo"]);
  }, 60_000);

  it("kill -9 amid 50 concurrent ADDs, restart, the runtime retries (DEL, then ADD): nothing held twice, nothing leaked", async () => {
    const host = await createTestNetns("dmn-kh");
    const ctrs = await Promise.all(Array.from({ length: 50 }, () => createTestNetns("dmn-k")));
    daemon = await start(host);
    const data = join(dir, "ipam-kill");
    const conf = conflist("killnet", "tscnid1", "169.254.92.0/24", data);
    const cache = join(dir, "cache-kill");
    const args = (i: number): DriverArgs => ({ conf, cache, netns: ctrs[i]!.path, cid: `kill-${i}`, cniPath, inNetns: host.name });
    const first = Promise.all(ctrs.map((_, i) => driverAsync(driver, "add", args(i))));
    // Kill it while ADDs are in flight: once some addresses are out and not all of them.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const n = existsSync(data) ? readdirSync(data, { recursive: true }).length : 0;
      if (n >= 5) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await daemon.stop("SIGKILL");
    const runs = await first;
    const failed = runs.flatMap((r, i) => (r.status === 0 ? [] : [i]));
    expect(failed.length).toBeGreaterThan(0);
    // Failed ADDs answered as the runtime can act on: code 11, "try again later", naming the socket.
    for (const i of failed) expect(runs[i]!.stderr).toMatch(/tscni daemon at .*d\.sock/);
    daemon = await start(host);
    const retried = await Promise.all(
      failed.map(async (i) => {
        const del = await driverAsync(driver, "del", args(i));
        expect([i, del.status, del.stderr]).toEqual([i, 0, ""]);
        return driverAsync(driver, "add", args(i));
      }),
    );
    for (const r of retried) expect([r.status, r.stderr]).toEqual([0, ""]);
    const results = runs.map((r, i) => (r.status === 0 ? r : retried[failed.indexOf(i)]!));
    const addresses = results.map((r) => (JSON.parse(r.stdout) as { ips: { address: string }[] }).ips[0]!.address);
    expect(new Set(addresses).size).toBe(50);
    expect(leases(data, "killnet").sort()).toEqual(addresses.map((a) => a.split("/")[0]!).sort());
    expect(await veths(host)).toHaveLength(50);
    for (const [i, ctr] of ctrs.entries()) expect((await ctr.ns.link("eth0"))?.addresses.map((a) => a.cidr).filter((c) => !c.includes(":"))).toEqual([addresses[i]]);
    const dels = await Promise.all(ctrs.map((_, i) => driverAsync(driver, "del", args(i))));
    for (const d of dels) expect([d.status, d.stderr]).toEqual([0, ""]);
    expect(leases(data, "killnet")).toEqual([]);
    expect(await veths(host)).toEqual([]);
  }, 180_000);
});
