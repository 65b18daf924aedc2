// Runtime-side benchmark (issue 4):
//  1. our cnitool vs a Go program on Debian's Go libcni 1.1.2, running the same
//     chain of Debian's Go plugins (bridge + host-local) for ADD then DEL on a
//     container namespace, both under `ip netns exec <host ns>` (same netns work);
//  2. @tscni/libcni's in-process cost per plugin exec beyond the exec itself:
//     addNetworkList/delNetworkList on a trivial static Go plugin vs a raw spawn
//     of that plugin.
// Medians of several runs. Needs root, ip, go, /usr/lib/cni; skips with a reason otherwise.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../..");
const CNITOOL = join(root, "dist/bin/cnitool");
const DRIVER_SOURCE = join(root, "packages/libcni/test/go-driver/main.go");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => x.toFixed(2);

function timed(cmd, args, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: "utf8" });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return t;
}

function goEnv(dir) {
  return { PATH: process.env.PATH, HOME: dir, GO111MODULE: "off", GOPATH: `/usr/share/gocode:${join(dir, "gopath")}`, GOCACHE: join(dir, "gocache"), GOPROXY: "off", GOFLAGS: "", CGO_ENABLED: "0" };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

function missing() {
  const out = [];
  if (process.getuid?.() !== 0) out.push("root");
  for (const f of ["/usr/lib/cni/bridge", "/usr/lib/cni/host-local", CNITOOL]) if (!existsSync(f)) out.push(f);
  if (spawnSync("go", ["version"]).status !== 0) out.push("go");
  return out;
}

async function cnitoolVsGo(dir, driver) {
  const host = `tscni-bench-h-${process.pid}`;
  const ctr = `tscni-bench-c-${process.pid}`;
  execFileSync("ip", ["netns", "add", host]);
  try {
    execFileSync("ip", ["netns", "add", ctr]);
    const confDir = join(dir, "net.d");
    mkdirSync(confDir);
    const conf = join(confDir, "10-bench.conflist");
    writeFileSync(
      conf,
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "tscni-bench",
        plugins: [{ type: "bridge", bridge: "tscnibench0", isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: "169.254.90.0/24" }]], dataDir: join(dir, "ipam") } }],
      }),
    );
    const env = { PATH: process.env.PATH };
    const inHost = (argv, extra) => ["netns", "exec", host, "env", "-i", `PATH=${process.env.PATH}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`), ...argv];
    const nsPath = `/run/netns/${ctr}`;
    const ours = (verb) => inHost([CNITOOL, verb, "tscni-bench", nsPath], { NETCONFPATH: confDir, CNI_PATH: "/usr/lib/cni", CNI_CACHE_DIR: join(dir, "cache-ts") });
    const go = (verb) => inHost([driver, "-conf", conf, "-cache", join(dir, "cache-go"), "-netns", nsPath, "-cid", "bench", verb], { CNI_PATH: "/usr/lib/cni" });
    const nodeBase = inHost([process.execPath, "-e", "0"], {});
    const samples = { ours: [], go: [], node: [], ipexec: [] };
    // Warm-up: page cache, bridge creation on first ADD.
    for (const f of [ours, go]) {
      timed("ip", f("add"), env);
      timed("ip", f("del"), env);
    }
    for (let i = 0; i < RUNS; i++) {
      samples.ours.push(timed("ip", ours("add"), env) + timed("ip", ours("del"), env));
      samples.go.push(timed("ip", go("add"), env) + timed("ip", go("del"), env));
      samples.node.push(timed("ip", nodeBase, env));
      samples.ipexec.push(timed("ip", inHost(["true"], {}), env));
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    console.log(`\ncnitool vs Go libcni driving Go bridge + host-local, ADD then DEL (median of ${RUNS}, ms, incl. 2x ip netns exec)`);
    table([
      ["runner", "ADD+DEL ms", "vs Go"],
      ["Go libcni 1.1.2 driver", ms(m.go), "1.00x"],
      ["tscni cnitool (node)", ms(m.ours), `${(m.ours / m.go).toFixed(2)}x`],
      ["  of which 2x `node -e 0`", ms(2 * m.node), ""],
      ["  of which 2x `ip netns exec true`", ms(2 * m.ipexec), ""],
      ["tscni cnitool minus 2x node start", ms(m.ours - 2 * m.node), `${((m.ours - 2 * m.node) / m.go).toFixed(2)}x`],
    ]);
  } finally {
    spawnSync("ip", ["netns", "del", ctr]);
    spawnSync("ip", ["netns", "del", host]);
  }
}

const TRIVIAL_PLUGIN = `package main

import (
	"io"
	"os"
)

// Reads its config and answers ADD with an empty result: nothing but the exec.
func main() {
	io.ReadAll(os.Stdin)
	if os.Getenv("CNI_COMMAND") == "ADD" {
		os.Stdout.WriteString("{\\"cniVersion\\":\\"1.0.0\\"}")
	}
}
`;

function rawSpawn(path, stdin, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    child.stdout.on("data", (c) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`exit ${code}`))));
    child.stdin.end(stdin);
  });
}

async function libcniOverhead(dir) {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(dir, "trivial.go"), TRIVIAL_PLUGIN);
  execFileSync("go", ["build", "-o", join(bin, "trivial"), join(dir, "trivial.go")], { env: goEnv(dir) });
  const bundle = join(dir, "libcni.mjs");
  await build({ entryPoints: [join(root, "packages/libcni/src/index.ts")], outfile: bundle, bundle: true, platform: "node", format: "esm", target: "node20", conditions: ["source"], logLevel: "error" });
  const { CniRuntime, parseConfList } = await import(pathToFileURL(bundle).href);

  const env = { PATH: process.env.PATH };
  const cni = new CniRuntime({ path: [bin], cacheDir: join(dir, "cache"), env, onStderr: () => {} });
  const lists = [1, 3].map((n) => parseConfList(JSON.stringify({ cniVersion: "1.0.0", name: "bench", plugins: Array.from({ length: n }, () => ({ type: "trivial" })) })));
  const rt = { containerId: "bench-1", netns: "/run/netns/none", ifName: "eth0" };
  const stdin = JSON.stringify({ cniVersion: "1.0.0", name: "bench", type: "trivial" });
  const rawEnv = { ...env, CNI_COMMAND: "ADD", CNI_CONTAINERID: "bench-1", CNI_NETNS: "/run/netns/none", CNI_IFNAME: "eth0", CNI_ARGS: "", CNI_PATH: bin };
  const N = RUNS * 4;
  const sample = async (fn) => {
    for (let i = 0; i < 5; i++) await fn();
    const xs = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await fn();
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  const raw = await sample(() => rawSpawn(join(bin, "trivial"), stdin, rawEnv));
  const rows = [["operation", "median ms", "plugin execs", "beyond raw spawn, ms per exec"]];
  rows.push(["raw child_process.spawn of the plugin", ms(raw), "1", "-"]);
  for (const list of lists) {
    const n = list.plugins.length;
    const add = await sample(() => cni.addNetworkList(list, rt));
    const del = await sample(() => cni.delNetworkList(list, rt));
    const addDel = await sample(async () => {
      await cni.addNetworkList(list, rt);
      await cni.delNetworkList(list, rt);
    });
    rows.push([`addNetworkList, ${n} plugin(s) (incl. cache write+fsync)`, ms(add), String(n), ms((add - n * raw) / n)]);
    rows.push([`delNetworkList, ${n} plugin(s) (incl. cache read+remove)`, ms(del), String(n), ms((del - n * raw) / n)]);
    rows.push([`add+del, ${n} plugin(s)`, ms(addDel), String(2 * n), ms((addDel - 2 * n * raw) / (2 * n))]);
  }
  // The same ADD with the cache on tmpfs shows what the durable (fsync'd) cache write costs on this disk.
  const shm = mkdtempSync(join("/dev/shm", "tscni-bench-"));
  try {
    const onTmpfs = new CniRuntime({ path: [bin], cacheDir: shm, env, onStderr: () => {} });
    const add = await sample(() => onTmpfs.addNetworkList(lists[0], rt));
    rows.push(["addNetworkList, 1 plugin, cache on tmpfs", ms(add), "1", ms(add - raw)]);
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
  console.log(`\n@tscni/libcni in-process overhead on a static Go plugin that only reads stdin (median of ${N}, ms)`);
  table(rows);
}

export default async function runtimeBench() {
  const why = missing();
  if (why.length) {
    console.log(`runtime benchmark skipped: needs ${why.join(", ")}`);
    return;
  }
  delete process.env.NODE_EXTRA_CA_CERTS;
  const dir = mkdtempSync(join(tmpdir(), "tscni-bench-runtime-"));
  try {
    const driver = join(dir, "libcni-driver");
    execFileSync("go", ["build", "-o", driver, DRIVER_SOURCE], { env: goEnv(dir) });
    await cnitoolVsGo(dir, driver);
    await libcniOverhead(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runtimeBench();
