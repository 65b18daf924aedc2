// In-process tests: skel's dispatcher runs the plugin as a runtime's exec would; reservations go to a temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlugin } from "@tscni/skel/testing";
import { afterAll, describe, expect, test } from "vitest";
import { plugin } from "../src/plugin.js";

const dataDir = mkdtempSync(join(tmpdir(), "__NAME__-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = { cniVersion: "1.1.0", name: "net", type: "bridge", ipam: { type: "__NAME__", subnet: "169.254.40.0/29", dataDir } };
const call = (command: string, containerId: string, stdin: object = config) =>
  runPlugin(plugin, {
    env: { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" },
    stdin,
  });
const addressOf = (json: unknown) => (json as { ips: { address: string }[] }).ips[0]?.address;

describe("__NAME__ in process", () => {
  test("two containers get two addresses; ADD again for the same one gives the same", async () => {
    const a = await call("ADD", "a");
    const b = await call("ADD", "b");
    expect(a.exitCode, a.stdout).toBe(0);
    expect(addressOf(a.json)).toMatch(/^169\.254\.40\.\d+\/29$/);
    expect(addressOf(b.json)).not.toBe(addressOf(a.json));
    expect(addressOf((await call("ADD", "a")).json)).toBe(addressOf(a.json));
    expect((await call("CHECK", "a", { ...config, prevResult: a.json })).exitCode).toBe(0);
  });

  test("a full subnet says so; DEL releases and DEL of an unknown container succeeds", async () => {
    const ids = ["f1", "f2", "f3", "f4", "f5", "f6", "f7"];
    const runs = [];
    for (const id of ids) runs.push(await call("ADD", id));
    expect(runs.some((r) => r.exitCode === 1)).toBe(true);
    for (const id of [...ids, "a", "b"]) expect((await call("DEL", id)).exitCode).toBe(0);
    expect((await call("DEL", "never-added")).exitCode).toBe(0);
    expect((await call("ADD", "f1")).exitCode).toBe(0);
    expect((await call("CHECK", "gone")).exitCode).toBe(1);
  });

  test("GC releases what is not among the valid attachments", async () => {
    await call("ADD", "keep");
    await call("ADD", "drop");
    const gc = await runPlugin(plugin, {
      env: { CNI_COMMAND: "GC", CNI_PATH: "/nonexistent" },
      stdin: { ...config, "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] },
    });
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect((await call("CHECK", "keep")).exitCode).toBe(0);
    expect((await call("CHECK", "drop")).exitCode).toBe(1);
  });

  test("a subnet that is not a CIDR is refused with code 7 naming ipam.subnet", async () => {
    const run = await call("ADD", "x", { ...config, ipam: { ...config.ipam, subnet: "169.254.40.0" } });
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.stdout).toContain("ipam.subnet");
  });
});
