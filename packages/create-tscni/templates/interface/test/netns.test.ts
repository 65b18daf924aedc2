// Real namespaces, and the plugin as the executable a runtime runs: built into a temp dir, exec'd inside a
// "host" namespace of its own, delegating to host-local. Skipped with the reason when not root or without
// host-local; a failure under CI=true.
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable } from "@tscni/bundle";
import { createTestNetns, execPluginBinary, requireNetns } from "@tscni/netns/testkit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

function findHostLocal(): string | undefined {
  const dirs = [...(process.env.CNI_PATH ?? "").split(":").filter(Boolean), "/opt/cni/bin", "/usr/lib/cni"];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, "host-local"), constants.X_OK);
      return dir;
    } catch {
      // not in this one
    }
  }
  return undefined;
}

function skipReason(): string | undefined {
  const netns = requireNetns();
  if (netns) return netns;
  if (findHostLocal()) return undefined;
  const reason = "needs the host-local IPAM plugin in CNI_PATH, /opt/cni/bin or /usr/lib/cni";
  if (process.env.CI === "true") throw new Error(`CI=true but the test ${reason}`);
  return reason;
}
const skip = skipReason();

describe.skipIf(skip)(`__NAME__ in namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "__NAME__-"));
  const binary = join(work, "__NAME__");
  beforeAll(async () => {
    await buildExecutable({ entry: "src/main.ts", outFile: binary });
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("ADD connects the container, CHECK passes, DEL twice succeeds and releases the address", async () => {
    await using host = await createTestNetns("host");
    await using container = await createTestNetns("ctr");
    const config = {
      // Debian's host-local (containernetworking-plugins 1.1) speaks up to 1.0.0.
      cniVersion: "1.0.0",
      name: "net",
      type: "__NAME__",
      ipam: { type: "host-local", subnet: "169.254.31.0/24", dataDir: join(work, "ipam") },
    };
    const inv = { binary, hostNetns: host.path, netns: container.path, containerId: "c1", ifName: "eth0", path: [findHostLocal()!] };

    const added = await execPluginBinary({ ...inv, command: "ADD", config });
    expect(added.exitCode, added.stdout + added.stderr).toBe(0);
    expect(added.json).toMatchObject({ interfaces: [{}, { name: "eth0", sandbox: container.path }], ips: [{ address: "169.254.31.2/24", interface: 1 }] });
    const eth0 = await container.ns.link("eth0");
    expect(eth0?.addresses.map((a) => a.address)).toContain("169.254.31.2");

    const checked = await execPluginBinary({ ...inv, command: "CHECK", config: { ...config, prevResult: added.json } });
    expect(checked.exitCode, checked.stdout).toBe(0);

    for (let i = 0; i < 2; i++) {
      const deleted = await execPluginBinary({ ...inv, command: "DEL", config });
      expect(deleted.exitCode, deleted.stdout).toBe(0);
    }
    expect(await container.ns.link("eth0")).toBeUndefined();
    // host-local keeps one file per reserved address in <dataDir>/<network name>/: DEL released it.
    expect(existsSync(join(work, "ipam", "net", "169.254.31.2"))).toBe(false);
  });
});
