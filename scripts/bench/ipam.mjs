// host-local IPAM: ours (dist/bin/host-local) against Debian's Go host-local on
// the same work. Single ADD and DEL latency (rounds interleaved, medians), and
// allocations per second with 8 processes allocating at once (each run in a
// fresh data directory, median of several runs). `node -e 0` is the floor of
// any Node plugin's exec.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execAsync, median, printTable, timedSync } from "./lib/measure.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const OURS = join(root, "dist", "bin", "host-local");
const GO = "/usr/lib/cni/host-local";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PARALLEL = 8;
const PER_WORKER = Number(process.env.BENCH_IPAM_ADDS ?? 25);
const THROUGHPUT_RUNS = Number(process.env.BENCH_IPAM_RUNS ?? 3);

function config(dataDir) {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "benchnet",
    type: "host-local",
    ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "169.254.96.0/20" }]] },
  });
}

function env(command, containerId) {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...rest } = process.env;
  return {
    PATH: rest.PATH ?? "/usr/bin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/tscni-bench-never-created",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
  };
}

function latencies() {
  const dirs = { ours: mkdtempSync(join(tmpdir(), "tscni-bench-ipam-")), go: mkdtempSync(join(tmpdir(), "tscni-bench-ipam-")) };
  const subjects = [
    { name: "ours", file: OURS, dir: dirs.ours },
    { name: "go", file: GO, dir: dirs.go },
  ];
  const times = { floor: [], version: [], ours: { add: [], del: [] }, go: { add: [], del: [] } };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      times.floor.push(timedSync(process.execPath, ["-e", "0"], env("VERSION", "x"), ""));
      // VERSION does no IPAM work: it separates the SDK's start-up from host-local's own cost.
      times.version.push(timedSync(OURS, [], env("VERSION", "x"), ""));
      for (const s of subjects) {
        const input = config(s.dir);
        times[s.name].add.push(timedSync(s.file, [], env("ADD", `lat${i}`), input));
        times[s.name].del.push(timedSync(s.file, [], env("DEL", `lat${i}`), input));
      }
    }
  } finally {
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  }
  return {
    floor: median(times.floor),
    version: median(times.version),
    ours: { add: median(times.ours.add), del: median(times.ours.del) },
    go: { add: median(times.go.add), del: median(times.go.del) },
  };
}

async function throughput(file) {
  const rates = [];
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), "tscni-bench-ipam-"));
    const input = config(dir);
    try {
      const start = process.hrtime.bigint();
      const handed = await Promise.all(
        Array.from({ length: PARALLEL }, async (_, w) => {
          const ips = [];
          for (let i = 0; i < PER_WORKER; i++) ips.push(JSON.parse(await execAsync(file, env("ADD", `t${w}-${i}`), input)).ips[0].address);
          return ips;
        }),
      );
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const all = handed.flat();
      if (new Set(all).size !== all.length) throw new Error(`${file} handed out an address twice`);
      rates.push(all.length / seconds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return median(rates);
}

export default async function bench() {
  if (!existsSync(OURS)) throw new Error(`${OURS} is missing: run node scripts/build.mjs`);
  if (!existsSync(GO)) {
    console.log(`skipped: ${GO} is not installed (Debian containernetworking-plugins)`);
    return;
  }
  const lat = latencies();
  const oursRate = await throughput(OURS);
  const goRate = await throughput(GO);
  const rows = [
    ["node -e 0 (floor)", lat.floor.toFixed(1), "", "", ""],
    ["host-local VERSION, ours (start-up only)", lat.version.toFixed(1), (lat.version / lat.floor).toFixed(2), "", ""],
    ["host-local ADD, ours", lat.ours.add.toFixed(1), (lat.ours.add / lat.floor).toFixed(2), (lat.ours.add / lat.go.add).toFixed(2), ""],
    ["host-local ADD, Go", lat.go.add.toFixed(1), (lat.go.add / lat.floor).toFixed(2), "1.00", ""],
    ["host-local DEL, ours", lat.ours.del.toFixed(1), (lat.ours.del / lat.floor).toFixed(2), (lat.ours.del / lat.go.del).toFixed(2), ""],
    ["host-local DEL, Go", lat.go.del.toFixed(1), (lat.go.del / lat.floor).toFixed(2), "1.00", ""],
    [`allocations/s, ${PARALLEL} processes, ours`, "", "", (oursRate / goRate).toFixed(2), oursRate.toFixed(1)],
    [`allocations/s, ${PARALLEL} processes, Go`, "", "", "1.00", goRate.toFixed(1)],
  ];
  printTable(["case", "median ms", "x floor", "x Go", "per second"], rows);
  console.log(`(${ROUNDS} interleaved rounds for latency; ${THROUGHPUT_RUNS} runs of ${PARALLEL}x${PER_WORKER} ADDs for throughput; /20 range)`);
  console.log(`host-local's own work per ADD (ADD - VERSION, ours): ${(lat.ours.add - lat.version).toFixed(1)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
