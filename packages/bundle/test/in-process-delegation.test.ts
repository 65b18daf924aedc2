/**
 * In-process delegation: a multi-call executable whose plugin delegates to an
 * applet of the same file (CNI_PATH resolves to the same device and inode)
 * runs the delegate's dispatch in process. The same verbs, good and bad, run
 * with TSCNI_DELEGATE_EXEC=1 (exec forced) and without: the answers are
 * identical, and strace shows the delegate exec'd in one mode only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const CNI_BUNDLE = join(ROOT, "dist/bin/cni-bundle");
const skip = skipReason({ netns: true, commands: ["ip", "strace"], executables: [CNI_BUNDLE] });

interface Case {
  verb: string;
  config: object;
  containerId?: string;
}

describe.skipIf(skip)(`in-process delegation in a multi-call executable${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  const ns = { host: `tscni-ipd-h-${process.pid}`, ctr: `tscni-ipd-c-${process.pid}` };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-inproc-"));
    const applets = ["bridge", "host-local", "noop"].flatMap((n) => ["--applet", `${n}=${join(ROOT, "examples", n, "src/main.ts")}`]);
    execFileSync(CNI_BUNDLE, ["build", ...applets, "-o", join(dir, "tscni-multi")], { cwd: ROOT, stdio: "pipe" });
    for (const n of Object.values(ns)) execFileSync("ip", ["netns", "add", n]);
  }, 120_000);
  afterAll(() => {
    for (const n of Object.values(ns)) spawnSync("ip", ["netns", "del", n]);
    rmSync(dir, { recursive: true, force: true });
  });

  const ipam = (mode: string, extra: object = {}) => ({ type: "host-local", ranges: [[{ subnet: "169.254.97.0/24" }]], dataDir: join(dir, `ipam-${mode}`), ...extra });
  const bridge = (mode: string, ipamExtra: object = {}, cniVersion = "1.0.0") => ({
    cniVersion,
    name: "ipdnet",
    type: "bridge",
    bridge: `ipdbr${mode}`,
    isGateway: true,
    ipam: ipam(mode, ipamExtra),
  });
  /** The verbs of one pass; each mode gets its own bridge and data dir, the answers are compared with those names aligned. */
  const cases = (mode: string): Case[] => [
    { verb: "ADD", config: bridge(mode) },
    { verb: "CHECK", config: { ...bridge(mode), prevResult: "PREV" } },
    { verb: "ADD", config: bridge(mode), containerId: "second" },
    { verb: "DEL", config: bridge(mode), containerId: "second" },
    { verb: "DEL", config: bridge(mode) },
    { verb: "DEL", config: bridge(mode) },
    { verb: "ADD", config: bridge(mode, { ranges: [[{ subnet: "not-a-subnet" }]] }) },
    { verb: "ADD", config: bridge(mode, { type: "no-such-ipam" }) },
    { verb: "ADD", config: bridge(mode, {}, "0.3.1") },
    { verb: "DEL", config: bridge(mode, {}, "0.3.1") },
  ];

  /** Runs every case under strace; the answers, and the delegate execs strace saw. */
  const pass = (mode: "inproc" | "exec") => {
    let prev: unknown;
    const answers = cases(mode).map((c, i) => {
      const trace = join(dir, `trace-${mode}-${i}`);
      const stdin = JSON.stringify(c.config).replace('"PREV"', JSON.stringify(prev ?? null));
      const env = [
        `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`,
        ...(mode === "exec" ? ["TSCNI_DELEGATE_EXEC=1"] : []),
        `CNI_COMMAND=${c.verb}`,
        `CNI_CONTAINERID=${c.containerId ?? "first"}`,
        // The second container shares the namespace: its own interface name.
        `CNI_IFNAME=${c.containerId ? "eth1" : "eth0"}`,
        `CNI_NETNS=/run/netns/${ns.ctr}`,
        `CNI_PATH=${dir}`,
      ];
      const r = spawnSync("ip", ["netns", "exec", ns.host, "env", "-i", ...env, "strace", "-f", "-qq", "-e", "trace=execve", "-o", trace, join(dir, "bridge")], {
        input: stdin,
        encoding: "utf8",
      });
      if (c.verb === "ADD" && i === 0) prev = JSON.parse(r.stdout);
      const delegateExecs = (readFileSync(trace, "utf8").match(/execve\("[^"]*\/host-local"/g) ?? []).length;
      // What differs between two passes by construction: random MACs and veth names, the bridge and data dir names.
      const stdout = r.stdout
        .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"MAC"')
        .replace(/veth[0-9a-f]{8}/g, "VETH")
        .replaceAll(`ipdbr${mode}`, "BRIDGE")
        .replaceAll(join(dir, `ipam-${mode}`), "DATA");
      return { verb: c.verb, status: r.status, stdout, delegateExecs };
    });
    return answers;
  };

  it("answers identically with the delegate in process and exec'd; only exec mode execs it", () => {
    const inproc = pass("inproc");
    const exec = pass("exec");
    expect(inproc.map(({ verb, status, stdout }) => ({ verb, status, stdout }))).toEqual(exec.map(({ verb, status, stdout }) => ({ verb, status, stdout })));
    // Good and bad answers both exercised.
    expect(inproc.map((a) => a.status)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    expect(inproc[0]!.stdout).toContain('"address": "169.254.97.2/24"');
    // host-local was delegated to in every case but the unknown IPAM type (twice for the refused subnet: ADD, then
    // the bridge's rollback DEL); exec mode exec'd it each time, in-process never.
    expect(exec.map((a) => a.delegateExecs)).toEqual([1, 1, 1, 1, 1, 1, 2, 0, 1, 1]);
    expect(inproc.map((a) => a.delegateExecs)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  }, 120_000);
});
