import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { PLUGIN_BIN, pluginPath } from "../../../test/support/plugin-bin.js";
import { skipReason } from "../../../test/support/prereq.js";
import { ROOT, configFile, failing, removeTempDirs, runCli, tempDir } from "./support.js";

afterAll(removeTempDirs);
vi.setConfig({ testTimeout: 180_000 });

// How each example is run: the same configs as Debian's Go plugins, since the
// examples accept the same keys. An example not listed runs with the minimal
// default config and no namespaces.
const HOW: Record<string, { config?: string; args?: string[]; netns: boolean }> = {
  // A scripted test double: its canned result describes no real interface.
  noop: { netns: false },
  // Runtimes call loopback with CNI_IFNAME=lo.
  loopback: { netns: true, args: ["--ifname", "lo"] },
  "host-local": { netns: true, config: "host-local" },
  static: { netns: true, config: "static" },
  ptp: { netns: true, config: "ptp" },
  bridge: { netns: true, config: "bridge" },
};

// Judged as the kind of plugin they are in kinds.test.ts: the chained ones with --chained, and
// cluster-ipam with --ipam on a real etcd (its config must name one).
const ELSEWHERE = new Set(["tuning", "bandwidth", "portmap", "cluster-ipam"]);

const built = readdirSync(join(ROOT, "examples"))
  .filter((name) => !ELSEWHERE.has(name) && existsSync(join(ROOT, "examples", name, "src/main.ts")) && existsSync(pluginPath(name)))
  .sort()
  .map((name) => ({ name, ...(HOW[name] ?? { netns: false }) }));

const skip = skipReason({ netns: true, commands: ["ip", "nsenter"] });

describe(`every example plugin in ${PLUGIN_BIN} passes the checker`, () => {
  test("at least the first examples are built", () => {
    expect(built.map((e) => e.name)).toEqual(expect.arrayContaining(["noop", "loopback"]));
  });

  test.concurrent.each(built)("$name", async ({ name, config, args = [], netns }) => {
    if (netns && skip) return;
    const { status, report } = await runCli([
      pluginPath(name),
      ...(netns ? ["--netns"] : []),
      ...(config ? ["--config", configFile(config)] : []),
      ...args,
    ]);
    expect(failing(report), report.checks.filter((c) => c.status === "fail").map((c) => `${c.id}: ${c.message}`).join("\n")).toEqual([]);
    expect(status).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(50);
  });
});

describe.skipIf(!existsSync(pluginPath("noop")))("the SDK's stdout guard, seen from outside", () => {
  test("noop whose handlers console.log on every verb still keeps stdout to one document", async () => {
    const config = join(tempDir("noop"), "noop.json");
    writeFileSync(config, JSON.stringify({ type: "noop", stdoutText: "a log line written to stdout by a handler" }));
    const { status, report } = await runCli([pluginPath("noop"), "--config", config]);
    expect(failing(report)).toEqual([]);
    expect(status).toBe(0);
    for (const id of ["result.1.1.0", "stdout.del", "stdout.check", "stdout.gc", "stdout.status", "error.shape"]) {
      expect(report.checks.find((c) => c.id === id)?.status, id).toBe("pass");
    }
  });
});
