/**
 * What `tscni install` puts on a node works for the runtimes that read it:
 * our cnitool and Go's libcni (the Go driver) load the installed config from
 * the conf dir and exec the installed plugins from the bin dir, in throwaway
 * namespaces (temp dirs stand in for /etc/cni/net.d and /opt/cni/bin).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { cnitool, leases, workspacePool, type Workspace } from "@tscni/netns/testkit";
import { buildGoDriver, runDriver } from "../../libcni/test/go-driver.js";
import { skipReason } from "../../../test/support/prereq.js";
import { bridgeConflist, distBin, TSCNI, tscni } from "./helpers.js";

const PLUGINS = ["bridge", "host-local", "loopback"];
const skip = skipReason({ netns: true, commands: ["go", "nsenter", "unshare"], executables: [TSCNI, join(distBin, "cnitool"), ...PLUGINS.map((p) => join(distBin, p))] });
const NETWORK = "tscni-node";

/** Installs into `<ws>/opt-cni-bin` and the workspace's NETCONFPATH; returns the bin dir. */
async function installInto(ws: Workspace, conflist: string): Promise<string> {
  const bin = join(ws.dir, "opt-cni-bin");
  const r = await tscni(["install", "--bin-dir", bin, "--conf-dir", ws.netconf, "--conf-json", conflist]);
  expect(r.code, r.stderr).toBe(0);
  return bin;
}

function containerAddresses(ws: Workspace): string {
  return execFileSync("ip", ["-n", ws.ctr.name, "-o", "addr", "show"], { encoding: "utf8" });
}

describe.skipIf(skip)(`installed plugins driven by runtimes${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const pool = workspacePool("tinst", { bin: distBin });
  afterEach(() => pool.removeAll());

  test("cnitool ADD, CHECK, DEL of the installed bridge + host-local + loopback", { timeout: 60_000 }, async () => {
    const ws = await pool.create();
    const bin = await installInto(ws, bridgeConflist(ws.ipamData, { bridge: "tinst0", subnet: "169.254.83.0/24" }));
    const add = await cnitool(ws, "add", NETWORK, bin);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    const ips = (add.json as { ips: { address: string }[] }).ips.map((i) => i.address);
    expect(ips).toHaveLength(1);
    expect(ips[0]).toMatch(/^169\.254\.83\.\d+\/24$/);
    const inside = containerAddresses(ws);
    expect(inside).toContain(`eth0    inet ${ips[0]}`);
    expect(inside).toMatch(/\blo\s+inet 127\.0\.0\.1\/8/);
    expect(leases(ws, NETWORK)).toEqual([ips[0]!.split("/")[0]]);
    const check = await cnitool(ws, "check", NETWORK, bin);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    const del = await cnitool(ws, "del", NETWORK, bin);
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect(containerAddresses(ws)).not.toContain("eth0");
    expect(leases(ws, NETWORK)).toEqual([]);
  });

  test("STATUS of the installed plugins: ready with a writable host-local data dir, code 50 when it is read-only", { timeout: 60_000 }, async () => {
    const ws = await pool.create();
    const bin = await installInto(ws, bridgeConflist(ws.ipamData, { bridge: "tinst2", subnet: "169.254.85.0/24" }));
    const conflist = JSON.parse(readFileSync(join(ws.netconf, "10-tscni.conflist"), "utf8")) as { plugins: { ipam?: { dataDir: string } }[] };
    const status = async (dataDir: string, readOnly: boolean): Promise<{ code: number | null; out: string; stdout: string }> => {
      mkdirSync(dataDir, { recursive: true });
      const netconf = { cniVersion: "1.1.0", name: NETWORK, ...conflist.plugins[0], ipam: { ...conflist.plugins[0]!.ipam, dataDir } };
      // A read-only mount over the data dir in a private mount namespace of this one exec: the machine's mounts are untouched.
      const wrap = readOnly ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs -o ro tscni-ro "$0" && exec "$@"', dataDir] : [];
      const r = spawnSync(wrap[0] ?? join(bin, "bridge"), [...wrap.slice(1), ...(readOnly ? [join(bin, "bridge")] : [])], {
        input: JSON.stringify(netconf),
        env: { PATH: `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`, CNI_COMMAND: "STATUS", CNI_PATH: bin },
        encoding: "utf8",
      });
      return { code: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
    };
    // bridge's STATUS passes on its IPAM plugin's: the runtime asks the network's plugins, host-local answers through it.
    const ready = await status(join(ws.dir, "data-rw"), false);
    expect(ready.code, ready.out).toBe(0);
    const readOnly = await status(join(ws.dir, "data-ro"), true);
    expect(readOnly.code, readOnly.out).toBe(1);
    expect(JSON.parse(readOnly.stdout)).toMatchObject({ code: 50 });
    expect(readOnly.out).toContain(join(ws.dir, "data-ro"));
  });

  describe("Go's libcni", () => {
    let buildDir: string;
    let driver: string;
    beforeAll(() => {
      buildDir = mkdtempSync(join(tmpdir(), "tscni-install-go-"));
      driver = buildGoDriver(buildDir);
    }, 120_000);
    afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

    test("ADD, CHECK, DEL from the installed config (cniVersion 1.0.0, the newest Debian's libcni speaks)", { timeout: 60_000 }, async () => {
      const ws = await pool.create();
      const bin = await installInto(ws, bridgeConflist(ws.ipamData, { bridge: "tinst1", subnet: "169.254.84.0/24", cniVersion: "1.0.0" }));
      const call = (verb: string) =>
        runDriver(driver, verb, { conf: join(ws.netconf, "10-tscni.conflist"), cache: ws.cache, netns: ws.ctr.path, cid: "go-install", cniPath: bin, inNetns: ws.host.name });
      const add = call("add");
      expect(add.status, add.stderr).toBe(0);
      const ips = (JSON.parse(add.stdout) as { ips: { address: string }[] }).ips.map((i) => i.address);
      expect(ips[0]).toMatch(/^169\.254\.84\.\d+\/24$/);
      expect(containerAddresses(ws)).toContain(`eth0    inet ${ips[0]}`);
      const check = call("check");
      expect(check.status, check.stderr).toBe(0);
      const del = call("del");
      expect(del.status, del.stderr).toBe(0);
      expect(leases(ws, NETWORK)).toEqual([]);
    });
  });
});
