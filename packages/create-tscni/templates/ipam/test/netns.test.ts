// Real namespaces: the built plugin as the IPAM of Go's bridge (from containernetworking-plugins), exec'd in a
// "host" namespace of its own. Skipped with the reason when not root or without bridge; a failure under CI=true.
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable } from "@tscni/bundle";
import { createTestNetns, execPluginBinary, requireNetns } from "@tscni/netns/testkit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

function findBridge(): string | undefined {
  const dirs = [...(process.env.CNI_PATH ?? "").split(":").filter(Boolean), "/opt/cni/bin", "/usr/lib/cni"];
  return dirs.find((dir) => {
    try {
      accessSync(join(dir, "bridge"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function skipReason(): string | undefined {
  const netns = requireNetns();
  if (netns) return netns;
  if (findBridge()) return undefined;
  const reason = "needs the bridge plugin in CNI_PATH, /opt/cni/bin or /usr/lib/cni";
  if (process.env.CI === "true") throw new Error(`CI=true but the test ${reason}`);
  return reason;
}
const skip = skipReason();

describe.skipIf(skip)(`__NAME__ behind bridge${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "__NAME__-"));
  beforeAll(async () => {
    await buildExecutable({ entry: "src/main.ts", outFile: join(work, "__NAME__") });
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("bridge ADD puts our address in the container; DEL twice releases it", async () => {
    await using host = await createTestNetns("host");
    await using container = await createTestNetns("ctr");
    const config = {
      cniVersion: "1.0.0",
      name: "net",
      type: "bridge",
      bridge: "tbr0",
      ipam: { type: "__NAME__", subnet: "169.254.41.0/24", dataDir: join(work, "ipam") },
    };
    const inv = { binary: join(findBridge()!, "bridge"), hostNetns: host.path, netns: container.path, containerId: "c1", ifName: "eth0", path: [work] };

    const added = await execPluginBinary({ ...inv, command: "ADD", config });
    expect(added.exitCode, added.stdout + added.stderr).toBe(0);
    expect(added.json).toMatchObject({ ips: [{ address: "169.254.41.2/24" }] });
    expect((await container.ns.link("eth0"))?.addresses.map((a) => a.address)).toContain("169.254.41.2");

    const reservation = join(work, "ipam", "net", "169.254.41.2");
    expect(existsSync(reservation)).toBe(true);
    for (let i = 0; i < 2; i++) expect((await execPluginBinary({ ...inv, command: "DEL", config })).exitCode).toBe(0);
    expect(await container.ns.link("eth0")).toBeUndefined();
    expect(existsSync(reservation)).toBe(false);
  });
});
