// Exec latency of examples/noop as a script bundle (plain, and with its code
// cache sidecar: the ADD row's size is the sidecar's) and as a SEA (each start-up
// mode), against `node -e 0` (the floor) and Debian's Go loopback plugin.
// Cases are interleaved round by round so drift in machine load hits all alike;
// medians are reported. Peak RSS comes from separate runs under /usr/bin/time.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadBundleApi } from "../build.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const RSS_RUNS = 5;
const GO_LOOPBACK = "/usr/lib/cni/loopback";
const VERSION_STDIN = '{"cniVersion":"1.0.0"}';
const ADD_STDIN = JSON.stringify({ cniVersion: "1.0.0", name: "bench", type: "noop" });
const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "bench",
  CNI_NETNS: "/var/run/netns/tscni-bench-never-created",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/nonexistent",
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * One exec, timed by bash's `time` around the command alone (ms resolution):
 * wall time, and CPU time (user+sys) which leaves out the run-queue wait and so
 * stays comparable on a busy machine. stdin is a real pipe (process
 * substitution), as Go runtimes give it; Node's spawn would give a socketpair.
 */
function measure(c) {
  const quoted = [c.file, ...(c.args ?? [])].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `TIMEFORMAT='%3R %3U %3S'; time ${quoted} < <(printf %s "$BENCH_STDIN") >/dev/null 2>&1`;
  const r = spawnSync("bash", ["-c", script], { env: { ...c.env, BENCH_STDIN: c.stdin }, encoding: "utf8" });
  const [real, user, sys] = r.stderr.trim().split("\n").at(-1).split(" ").map(Number);
  if (r.status !== 0 || !Number.isFinite(real)) throw new Error(`${c.name}: bash exit ${r.status}: ${r.stderr}`);
  return { wall: real * 1000, cpu: (user + sys) * 1000 };
}

function peakRssKb(c) {
  if (!existsSync("/usr/bin/time")) return undefined;
  const runs = [];
  for (let i = 0; i < RSS_RUNS; i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%M", c.file, ...(c.args ?? [])], { env: c.env, input: c.stdin, encoding: "utf8" });
    const kb = Number(r.stderr.trim().split("\n").at(-1));
    if (Number.isFinite(kb)) runs.push(kb);
  }
  return runs.length ? median(runs) : undefined;
}

async function buildSubjects(work) {
  const api = await loadBundleApi();
  const entry = join(root, "examples", "noop", "src", "main.ts");
  const empty = join(work, "empty.js");
  writeFileSync(empty, "");
  const script = await api.buildExecutable({ entry, outFile: join(work, "noop"), absWorkingDir: root });
  const cachedScript = await api.buildExecutable({ entry, outFile: join(work, "noop-code-cache"), absWorkingDir: root, codeCache: true });
  const seas = {};
  for (const startup of ["warm-code-cache", "code-cache", "snapshot", "none"]) {
    seas[startup] = await api.buildSea({ entry, outFile: join(work, `noop-sea-${startup}`), startup, absWorkingDir: root });
  }
  const emptySea = await api.buildSea({ entry: empty, requirePluginMain: false, outFile: join(work, "empty-sea"), startup: "code-cache" });
  return { script, cachedScript, seas, emptySea, defaultStartup: api.DEFAULT_SEA_STARTUP };
}

export default async function bench() {
  const work = mkdtempSync(join(tmpdir(), "tscni-bench-bundle-"));
  try {
    const { script, cachedScript, seas, emptySea, defaultStartup } = await buildSubjects(work);
    const version = { CNI_COMMAND: "VERSION" };
    const cases = [
      { name: "node -e 0 (floor)", file: process.execPath, args: ["-e", "0"], env: {}, stdin: "" },
      { name: "empty SEA (code cache)", file: emptySea.path, env: {}, stdin: "", bytes: emptySea.bytes },
      { name: "noop bundle VERSION", file: script.path, env: version, stdin: VERSION_STDIN, bytes: script.bytes, target: 1.25 },
      { name: "noop bundle ADD", file: script.path, env: ADD_ENV, stdin: ADD_STDIN, target: 1.25 },
      { name: "noop bundle + code cache VERSION", file: cachedScript.path, env: version, stdin: VERSION_STDIN, bytes: cachedScript.bytes, target: 1.25 },
      { name: "noop bundle + code cache ADD", file: cachedScript.path, env: ADD_ENV, stdin: ADD_STDIN, bytes: cachedScript.codeCache.bytes, target: 1.25 },
      ...Object.entries(seas).flatMap(([startup, built]) => [
        { name: `noop SEA ${startup} VERSION`, file: built.path, env: version, stdin: VERSION_STDIN, bytes: built.bytes, target: 1.1 },
        { name: `noop SEA ${startup} ADD`, file: built.path, env: ADD_ENV, stdin: ADD_STDIN, target: 1.1 },
      ]),
    ];
    if (existsSync(GO_LOOPBACK)) cases.push({ name: "Go loopback VERSION", file: GO_LOOPBACK, env: version, stdin: VERSION_STDIN, bytes: statSync(GO_LOOPBACK).size });
    for (const c of cases) measure(c); // warm the page cache
    const times = new Map(cases.map((c) => [c.name, []]));
    const cpu = new Map(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const m = measure(c);
        times.get(c.name).push(m.wall);
        cpu.get(c.name).push(m.cpu);
      }
    }
    const floor = median(times.get(cases[0].name));
    const cpuFloor = median(cpu.get(cases[0].name));
    const rows = cases.map((c) => {
      const m = median(times.get(c.name));
      const ratio = m / floor;
      const cpuMs = median(cpu.get(c.name));
      const rss = peakRssKb(c);
      return [
        c.name,
        m.toFixed(1),
        `${ratio.toFixed(2)}x`,
        cpuMs.toFixed(1),
        `${(cpuMs / cpuFloor).toFixed(2)}x`,
        c.target ? `${c.target}x: wall ${ratio <= c.target ? "meets" : "misses"}, CPU ${cpuMs / cpuFloor <= c.target ? "meets" : "misses"}` : "",
        rss === undefined ? "?" : (rss / 1024).toFixed(1),
        c.bytes === undefined ? "" : c.bytes >= 1 << 20 ? `${(c.bytes / (1 << 20)).toFixed(1)} MB` : `${(c.bytes / 1024).toFixed(1)} KB`,
      ];
    });
    const header = ["case", "wall ms", "vs floor", "CPU ms", "vs floor", "target", "peak RSS MB", "file size"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
    const load = loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(`${ROUNDS} interleaved runs per case, medians; node ${process.version}; ${cpus().length} CPUs, load average ${load}; default SEA start-up: ${defaultStartup}`);
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log(`noop bundle ${(script.bytes / 1024).toFixed(1)} KB (target < 150 KB: ${script.bytes < 150 * 1024 ? "meets" : "misses"})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
