/**
 * The checker judging each kind of plugin as such: chained plugins with --chained (ours from
 * dist/bin and Debian's Go tuning), IPAM plugins with --ipam (our host-local, cluster-ipam on a
 * real etcd, and Go's host-local).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestEtcdCluster, startEtcdCluster } from "@tscni/etcd/testkit";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { PLUGIN_BIN } from "../../../test/support/plugin-bin.js";
import { skipReason } from "../../../test/support/prereq.js";
import { configFile, failing, namespacesStartingWith, removeTempDirs, runCli, statusOf, tempDir } from "./support.js";

afterAll(removeTempDirs);
vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

const DIST = PLUGIN_BIN;
const failures = (r: Awaited<ReturnType<typeof runCli>>["report"]): string =>
  r.checks.filter((c) => c.status === "fail").map((c) => `${c.id}: ${c.message}`).join("\n");

// Debian's Go plugins (1.1.1) depart from the spec in their shared skeleton; the README explains each.
const GO_SKEL_DEPARTURES = ["env.optional.ADD.CNI_PATH", "env.optional.DEL.CNI_PATH", "gating.gc-before-1.1.0", "gating.status-before-1.1.0", "error.cni-version"];

const chained = ["tuning", "bandwidth", "portmap"];
const skipChained = skipReason({ netns: true, commands: ["ip", "nsenter", "tc", "nft"], executables: [...chained.map((n) => join(DIST, n)), "/usr/lib/cni/tuning"] });

describe.skipIf(skipChained)(`--chained --netns${skipChained ? ` (skipped: ${skipChained})` : ""}`, () => {
  test.concurrent.each(chained)("our %s passes with 0 failures, the tamper check included", async (name) => {
    const { status, report } = await runCli([join(DIST, name), "--chained", "--netns", "--config", configFile(name)]);
    expect(failing(report), failures(report)).toEqual([]);
    expect(status).toBe(0);
    for (const v of report.testedVersions.filter((x) => x >= "0.3.0")) {
      expect(statusOf(report, `result.${v}`), v).toBe("pass");
      expect(statusOf(report, `chain.prevresult.${v}`), v).toBe("pass");
    }
    for (const id of ["netns.add", "netns.check", "netns.del", "netns.del-again", "del.repeated", "chain.check-after-tamper"]) {
      expect(statusOf(report, id), id).toBe("pass");
    }
    expect(namespacesStartingWith(report.namespacePrefix ?? "none")).toEqual([]);
  });

  test.concurrent("Go's tuning fails only its skeleton's departures", async () => {
    const { report } = await runCli(["/usr/lib/cni/tuning", "--chained", "--netns", "--config", configFile("tuning")]);
    expect(failing(report), failures(report)).toEqual([...GO_SKEL_DEPARTURES].sort());
    for (const id of ["result.1.0.0", "chain.prevresult.1.0.0", "netns.check", "chain.check-after-tamper", "del.repeated"]) {
      expect(statusOf(report, id), id).toBe("pass");
    }
    // Chains begin at 0.3.0: the older versions Go's tuning claims have nothing to chain.
    expect(statusOf(report, "result.0.2.0")).toBe("n/a");
  });

  test.concurrent("a failure's reproduction carries the plugin's environment, not the caller's PATH", async () => {
    const { report } = await runCli(["/usr/lib/cni/tuning", "--chained", "--netns", "--config", configFile("tuning")]);
    const repro = report.checks.find((c) => c.id === "env.optional.ADD.CNI_PATH")?.repro ?? "";
    const path = /PATH=(\S+)/.exec(repro)?.[1] ?? "";
    expect(path.split(":")).toEqual(expect.arrayContaining(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]));
    expect(path).not.toContain("node_modules");
    expect(repro).not.toContain(process.env.PATH ?? "no PATH");
  });
});

const skipIpam = skipReason({ commands: ["etcd"], executables: [join(DIST, "host-local"), join(DIST, "cluster-ipam"), "/usr/lib/cni/host-local"] });

describe.skipIf(skipIpam)(`--ipam${skipIpam ? ` (skipped: ${skipIpam})` : ""}`, () => {
  let etcd: TestEtcdCluster | undefined;
  beforeAll(async () => {
    etcd = await startEtcdCluster();
  });
  afterAll(() => etcd?.stop());

  const IPAM_CHECKS = ["ipam.distinct", "ipam.del-releases", "ipam.del-unknown"];

  test("our host-local: distinct addresses, DEL and GC release, 0 failures", async () => {
    const { status, report } = await runCli([join(DIST, "host-local"), "--ipam", "--config", configFile("host-local-ipam")]);
    expect(failing(report), failures(report)).toEqual([]);
    expect(status).toBe(0);
    for (const id of [...IPAM_CHECKS, "ipam.gc", "del.repeated"]) expect(statusOf(report, id), id).toBe("pass");
    expect(report.checks.find((c) => c.id === "ipam.distinct")?.message).toBe("3 containers, 3 distinct addresses");
  });

  test("cluster-ipam on a real etcd: the same", async () => {
    const file = join(tempDir("cluster-ipam"), "cluster-ipam.json");
    const ipam = {
      type: "cluster-ipam",
      etcd: { endpoints: etcd!.endpoints },
      nodeName: "conformance-node",
      ranges: [[{ subnet: "169.254.53.0/24", rangeStart: "169.254.53.10", rangeEnd: "169.254.53.12" }]],
    };
    writeFileSync(file, JSON.stringify({ type: "cluster-ipam", ipam }));
    const { status, report } = await runCli([join(DIST, "cluster-ipam"), "--ipam", "--config", file]);
    expect(failing(report), failures(report)).toEqual([]);
    expect(status).toBe(0);
    for (const id of [...IPAM_CHECKS, "ipam.gc"]) expect(statusOf(report, id), id).toBe("pass");
  });

  test("Go's host-local: passes the allocation checks (it has no GC)", async () => {
    const { report } = await runCli(["/usr/lib/cni/host-local", "--ipam", "--config", configFile("host-local-ipam")]);
    expect(failing(report), failures(report)).toEqual([...GO_SKEL_DEPARTURES].sort());
    for (const id of IPAM_CHECKS) expect(statusOf(report, id), id).toBe("pass");
    expect(statusOf(report, "ipam.gc")).toBe("n/a");
  });

  test("an IPAM plugin that hands one address to everyone fails ipam.distinct", async () => {
    // Go's static plugin gives every container the configured address: not an allocator.
    const file = join(tempDir("static"), "static.json");
    writeFileSync(file, JSON.stringify({ type: "static", ipam: { type: "static", addresses: [{ address: "169.254.54.2/24" }] } }));
    const { report } = await runCli(["/usr/lib/cni/static", "--ipam", "--config", file]);
    expect(statusOf(report, "ipam.distinct")).toBe("fail");
    expect(report.checks.find((c) => c.id === "ipam.distinct")?.message).toMatch(/both got 169\.254\.54\.2/);
  });
});
