/**
 * DEL with a config that no longer validates (issue 9 item 14): host-local,
 * bridge and ptp opt in to skel's `delWithInvalidConfig`, so their DEL still
 * releases the IPAM reservation by container ID and interface, exit 0, where
 * Go (and a plugin that does not opt in) answers code 7 and leaks it. The
 * bundled executables, exec'ed with only the CNI variables; ADD and CHECK
 * with the same bad config are still code 7.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { execPluginBinary } from "@tscni/netns/testkit";

const bin = resolve(import.meta.dirname, "../dist/bin");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tscni-invalid-del-"));
  dirs.push(d);
  return d;
}

const NETNS = "/var/run/netns/tscni-invalid-del-never-created";

function call(plugin: string, command: "ADD" | "DEL" | "CHECK", config: object, containerId = "ctr-invalid-1") {
  return execPluginBinary({ binary: join(bin, plugin), command, config, containerId, ifName: "eth0", netns: NETNS, path: [bin] });
}

/** The address files of a network (what host-local holds for attachments). */
function reservations(dir: string, network: string): string[] {
  return readdirSync(join(dir, network)).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip"));
}

function hostLocalIpam(dir: string, extra: Record<string, unknown> = {}) {
  return { type: "host-local", dataDir: dir, ranges: [[{ subnet: "169.254.31.0/24" }]], ...extra };
}

/** Reserves an address for ctr-invalid-1/eth0 through host-local itself. */
async function reserve(dir: string, network: string): Promise<void> {
  const add = await call("host-local", "ADD", { cniVersion: "1.1.0", name: network, type: "host-local", ipam: hostLocalIpam(dir) });
  expect(add.exitCode, add.stderr).toBe(0);
  expect(reservations(dir, network)).toHaveLength(1);
}

describe("DEL with an invalid config releases the IPAM reservation", () => {
  it("host-local: a field that fails the schema (ipam.routes) still releases; ADD and CHECK stay code 7", async () => {
    const dir = dataDir();
    await reserve(dir, "badnet");
    const bad = { cniVersion: "1.1.0", name: "badnet", type: "host-local", ipam: hostLocalIpam(dir, { routes: "not a list" }) };
    for (const verb of ["ADD", "CHECK"] as const) {
      const r = await call("host-local", verb, bad);
      expect(r.exitCode).toBe(1);
      expect(r.json).toMatchObject({ code: 7, msg: "invalid network configuration" });
    }
    expect(reservations(dir, "badnet")).toHaveLength(1);
    const del = await call("host-local", "DEL", bad);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toBe("");
    expect(reservations(dir, "badnet")).toEqual([]);
    expect(del.stderr).toContain("DEL with an invalid config");
  });

  it("host-local: an invalid data directory cannot be trusted, so the config's error stands", async () => {
    const r = await call("host-local", "DEL", { cniVersion: "1.1.0", name: "badnet", type: "host-local", ipam: { type: "host-local", dataDir: 42 } });
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ code: 7, msg: "invalid network configuration" });
  });

  it.each(["bridge", "ptp"])("%s: an invalid field of its own still delegates DEL to IPAM, which releases", async (plugin) => {
    const dir = dataDir();
    const network = `bad${plugin}`;
    await reserve(dir, network);
    const bad = { cniVersion: "1.1.0", name: network, type: plugin, mtu: "not a number", ipam: hostLocalIpam(dir) };
    const check = await call(plugin, "CHECK", bad);
    expect(check.exitCode).toBe(1);
    expect(check.json).toMatchObject({ code: 7 });
    const del = await call(plugin, "DEL", bad);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toBe("");
    expect(reservations(dir, network)).toEqual([]);
    // Idempotent: a second DEL finds nothing and succeeds too.
    expect((await call(plugin, "DEL", bad)).exitCode).toBe(0);
  });
});
