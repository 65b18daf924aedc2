import { existsSync, readFileSync } from "node:fs";
import { runConformance } from "@tscni/conformance";
import { afterAll, describe, expect, test, vi } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { failing, fixture, namespacesStartingWith, removeTempDirs, statusOf } from "./support.js";

afterAll(removeTempDirs);
// Each run execs the fixture ~100 times; runs go in parallel.
vi.setConfig({ testTimeout: 180_000 });

// Every check that a plugin which fails ADD with the wrong code, or never validates, gets wrong.
const ENV_MISSING = [
  "env.missing.ADD.CNI_CONTAINERID",
  "env.missing.ADD.CNI_IFNAME",
  "env.missing.ADD.CNI_NETNS",
  "env.missing.CHECK.CNI_CONTAINERID",
  "env.missing.CHECK.CNI_IFNAME",
  "env.missing.CHECK.CNI_NETNS",
  "env.missing.DEL.CNI_CONTAINERID",
  "env.missing.DEL.CNI_IFNAME",
  "env.missing.GC.CNI_PATH",
];
const IFNAMES = ["env.ifname.colon", "env.ifname.dot", "env.ifname.dotdot", "env.ifname.slash", "env.ifname.space", "env.ifname.too-long"];
const CONTAINER_IDS = ["env.container-id.leading-dash", "env.container-id.slash", "env.container-id.space"];
const STDIN = ["stdin.empty.ADD", "stdin.not-json.ADD", "stdin.not-json.DEL", "stdin.not-object.ADD"];
const GATING = [
  "gating.check-before-0.4.0",
  "gating.gc-before-1.1.0",
  "gating.status-before-1.1.0",
  "gating.unsupported-version.ADD",
  "gating.unsupported-version.DEL",
];
const RESULTS = ["result.0.3.0", "result.0.3.1", "result.0.4.0", "result.1.0.0", "result.1.1.0"];
const CHAIN = RESULTS.map((id) => id.replace("result.", "chain.prevresult."));

describe.concurrent("a correct plugin", () => {
  test("passes every check that applies without namespaces", async () => {
    const f = fixture("");
    const r = await runConformance({ binary: f.binary });
    expect(failing(r)).toEqual([]);
    expect(r.summary.failed).toBe(0);
    expect(r.claimedVersions).toEqual(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
    // The interesting checks ran and passed rather than being skipped.
    for (const id of [...ENV_MISSING, ...IFNAMES, ...STDIN, ...GATING, ...RESULTS, ...CHAIN, "del.repeated", "version.echo", "stdout.gc", "stdout.status", "check.after-add", "error.cni-version", "env.cni-args.kubernetes"]) {
      expect(statusOf(r, id), id).toBe("pass");
    }
    expect(statusOf(r, "netns.add")).toBe("n/a");
    expect(r.summary.passed + r.summary.notApplicable).toBe(r.checks.length);
  });

  test("--versions narrows the versions under test", async () => {
    const r = await runConformance({ binary: fixture("").binary, versions: ["0.4.0"] });
    expect(r.testedVersions).toEqual(["0.4.0"]);
    expect(r.checks.filter((c) => c.id.startsWith("result.0") || c.id.startsWith("result.1")).map((c) => c.id)).toEqual(["result.0.4.0"]);
  });
});

// Each broken fixture and the exact set of checks its one fault must fail.
const faults: Array<[fault: string, expected: string[]]> = [
  ["no-version", ["version.answer"]],
  ["no-error-version", ["error.cni-version"]],
  ["noisy-check", ["stdout.check"]],
  ["strict-args", ["env.cni-args.kubernetes"]],
  ["drops-prevresult-ips", CHAIN],
  ["wrong-version", ["result.0.3.0", "result.0.3.1", "result.0.4.0", "result.1.1.0", "chain.prevresult.0.3.0", "chain.prevresult.0.3.1", "chain.prevresult.0.4.0", "chain.prevresult.1.1.0"]],
  // DEL of an attachment it does not know fails: without a netns, and without CNI_PATH.
  ["del-not-idempotent", ["del.without-netns", "env.optional.DEL.CNI_PATH", "del.repeated"]],
  ["wrong-code", [...ENV_MISSING, ...CONTAINER_IDS, ...IFNAMES, ...STDIN, "config.invalid-name", "config.missing-name", "config.version-not-string", ...GATING, "verb.unknown"]],
  // Container IDs and network names it accepts are the runtime's problem (n/a); everything else must fail.
  ["accepts-anything", [...ENV_MISSING, ...IFNAMES, ...STDIN, "config.missing-name", "config.version-not-string", ...GATING, "verb.unknown"]],
  [
    "logs-on-stdout",
    [
      ...ENV_MISSING,
      "env.missing-command",
      ...CONTAINER_IDS,
      ...IFNAMES,
      ...STDIN,
      "config.invalid-name",
      "config.missing-name",
      "config.version-not-string",
      ...GATING,
      "verb.unknown",
      ...RESULTS,
      "stdout.del",
      ...CHAIN,
      "stdout.gc",
      "stdout.status",
      "error.shape",
    ],
  ],
];

describe.concurrent.each(faults)("a plugin with fault %s", (fault, expected) => {
  test("fails exactly the checks that fault breaks, each with a reproduction", async () => {
    const r = await runConformance({ binary: fixture(fault).binary, timeoutMs: 5000 });
    expect(failing(r)).toEqual([...expected].sort());
    for (const c of r.checks.filter((x) => x.status === "fail")) {
      expect(c.rule, c.id).toMatch(/§|spec|VERSION/);
      expect(c.repro, c.id).toContain("env -i");
    }
  });
});

describe("a plugin that hangs on ADD", () => {
  test("is killed after the timeout, with everything it started, and reported", async () => {
    const f = fixture("hangs");
    // Long enough that a loaded machine never times out a plugin exec that does not hang.
    const r = await runConformance({ binary: f.binary, timeoutMs: 2500 });
    expect(failing(r)).toEqual(["env.optional.ADD.CNI_PATH", ...RESULTS, ...CHAIN].sort());
    expect(r.checks.find((c) => c.id === "result.1.1.0")?.message).toMatch(/killed after \d+ ms \(timeout\)/);
    // The plugin and the `sleep` it spawned were killed as one process group.
    const pids = readFileSync(`${f.state}/hang-pids`, "utf8").trim().split("\n").map(Number);
    await new Promise((res) => setTimeout(res, 200));
    for (const pid of pids) {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
      expect(stat === "" || / Z /.test(stat), `pid ${pid} still running: ${stat}`).toBe(true);
    }
  });
});

const skip = skipReason({ netns: true, commands: ["ip", "nsenter"] });
describe.skipIf(skip)(`in throwaway namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test.concurrent("a correct interface-creating plugin passes every check", async () => {
    const r = await runConformance({ binary: fixture("", { iface: true }).binary, netns: true });
    expect(failing(r)).toEqual([]);
    for (const id of ["netns.add", "netns.result-matches", "netns.check", "netns.add-existing-ifname", "netns.del", "netns.del-cleans", "netns.del-again", "netns.readd-after-del", "netns.del-netns-gone", "netns.gc-releases-stale", "result.ifname"]) {
      expect(statusOf(r, id), id).toBe("pass");
    }
    expect(namespacesStartingWith(r.namespacePrefix ?? "none")).toEqual([]);
  });

  const netnsFaults: Array<[string, string[]]> = [
    ["wrong-mac", ["netns.result-matches"]],
    ["add-twice-ok", ["netns.add-existing-ifname"]],
    ["gc-keeps", ["netns.gc-releases-stale"]],
    ["del-not-idempotent", ["del.without-netns", "env.optional.DEL.CNI_PATH", "del.repeated", "netns.del-again"]],
    // The leaked allocation makes every later ADD fail, as it would on a node.
    ["leaky-del", [...RESULTS, "netns.del-cleans", "netns.readd-after-del"]],
  ];
  test.concurrent.each(netnsFaults)("fault %s fails exactly %j, and the namespaces are gone afterwards", async (fault, expected) => {
    const r = await runConformance({ binary: fixture(fault, { iface: true }).binary, netns: true });
    expect(failing(r)).toEqual([...expected].sort());
    expect(namespacesStartingWith(r.namespacePrefix ?? "none")).toEqual([]);
  });
});

// --chained: every ADD, CHECK and DEL carries a prevResult; the output must keep it.
const chainedFaults: Array<[string, string[]]> = [
  ["drops-interfaces", CHAIN],
  ["drops-ips", CHAIN],
  ["no-echo", CHAIN],
];

describe.concurrent("a chained plugin checked with --chained", () => {
  test("a correct one passes every check that applies without namespaces", async () => {
    const r = await runConformance({ binary: fixture("", { chained: true }).binary, chained: true });
    expect(failing(r)).toEqual([]);
    for (const id of [...RESULTS, ...CHAIN, ...ENV_MISSING, "del.repeated", "check.after-add", "env.optional.ADD.CNI_PATH", "env.cni-args.kubernetes"]) {
      expect(statusOf(r, id), id).toBe("pass");
    }
  });

  test("without --chained, its results cannot be judged: ADD without prevResult fails", async () => {
    const r = await runConformance({ binary: fixture("", { chained: true }).binary });
    for (const id of RESULTS) expect(statusOf(r, id), id).toBe("n/a");
  });

  test.each(chainedFaults)("fault %s fails exactly %j", async (fault, expected) => {
    const r = await runConformance({ binary: fixture(fault, { chained: true }).binary, chained: true });
    expect(failing(r)).toEqual([...expected].sort());
    for (const id of expected) expect(r.checks.find((c) => c.id === id)?.message, id).toMatch(/lost (interface|ip) /);
  });
});

describe.skipIf(skip)(`--chained in throwaway namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test.concurrent("a correct chained plugin passes everything, the tamper check included", async () => {
    const r = await runConformance({ binary: fixture("", { chained: true, iface: true }).binary, chained: true, netns: true });
    expect(failing(r)).toEqual([]);
    for (const id of [...RESULTS, ...CHAIN, "netns.add", "netns.check", "netns.del", "netns.del-again", "netns.del-netns-gone", "del.repeated", "chain.check-after-tamper"]) {
      expect(statusOf(r, id), id).toBe("pass");
    }
    expect(r.checks.find((c) => c.id === "chain.check-after-tamper")?.message).toMatch(/eth0 mtu set back to 1500/);
    expect(namespacesStartingWith(r.namespacePrefix ?? "none")).toEqual([]);
  });

  const faults: Array<[string, string[]]> = [
    ["check-blind", ["chain.check-after-tamper"]],
    ["drops-interfaces", CHAIN],
    ["del-not-idempotent", ["del.without-netns", "env.optional.DEL.CNI_PATH", "del.repeated", "netns.del-again", "chain.check-after-tamper"]],
  ];
  test.concurrent.each(faults)("fault %s fails exactly %j", async (fault, expected) => {
    const r = await runConformance({ binary: fixture(fault, { chained: true, iface: true }).binary, chained: true, netns: true });
    expect(failing(r)).toEqual([...expected].sort());
    expect(namespacesStartingWith(r.namespacePrefix ?? "none")).toEqual([]);
  });
});
