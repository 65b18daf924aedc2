// Wall time of a whole cni-conformance run (every check, ~100 plugin execs)
// against the same plugin in Go and in tscni: what a CI job pays per plugin.
// Medians of 3 runs; root and /usr/lib/cni are needed for the namespace rows.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const cli = resolve(root, "dist/bin/cni-conformance");

function timeRun(args) {
  const t0 = performance.now();
  let out;
  try {
    out = execFileSync(cli, [...args, "--json"], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
  } catch (e) {
    out = e.stdout;
  }
  const report = JSON.parse(out);
  return { ms: performance.now() - t0, checks: report.checks.length };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export default async function bench() {
  const isRoot = process.getuid?.() === 0;
  const rows = [
    ["Go loopback, no namespaces", "/usr/lib/cni/loopback", ["--ifname", "lo"]],
    ["tscni loopback, no namespaces", resolve(root, "dist/bin/loopback"), ["--ifname", "lo"]],
    ...(isRoot
      ? [
          ["Go loopback, --netns", "/usr/lib/cni/loopback", ["--ifname", "lo", "--netns"]],
          ["tscni loopback, --netns", resolve(root, "dist/bin/loopback"), ["--ifname", "lo", "--netns"]],
        ]
      : []),
  ].filter(([, bin]) => existsSync(bin));
  const results = [];
  for (const [label, bin, args] of rows) {
    const runs = [0, 1, 2].map(() => timeRun([bin, ...args]));
    results.push({ label, ms: median(runs.map((r) => r.ms)), checks: runs[0].checks });
  }
  console.log(`${"run".padEnd(34)} ${"checks".padStart(6)} ${"median ms".padStart(10)} ${"vs Go".padStart(7)}`);
  for (const r of results) {
    const mode = r.label.slice(r.label.indexOf(","));
    const go = results.find((x) => x.label.startsWith("Go") && x.label.endsWith(mode));
    const ratio = go ? `${(r.ms / go.ms).toFixed(2)}x` : "";
    console.log(`${r.label.padEnd(34)} ${String(r.checks).padStart(6)} ${r.ms.toFixed(0).padStart(10)} ${ratio.padStart(7)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
