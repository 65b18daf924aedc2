// What skel's handler guard (issue 9: answers wait for work a handler left running; SDK work registered per
// invocation through @tscni/types/work) costs correct, awaited code: the same plugin bundled twice from today's
// sources, once as is and once with the guard taken out (plugin-main.ts as it was before the guard, and
// @tscni/types/work as a no-op, so netns, invoke and the IPAM store register nothing). Cases interleaved round by
// round, medians, ratio guarded / unguarded in the same run. noop ADD: CPU ms per exec (mean of a batch, from
// bash's `times`). bridge + host-local ADD: CPU ms of the whole ADD (the plugin, its `ip` runs, the host-local
// delegate), a batch of ADDs (one interface each) per round in a fresh namespace, DELs untimed; needs root.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleScript } from "./lib/bundle-script.mjs";
import { cpuMsPerExec, median, printTable } from "./lib/measure.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const BATCH = Number(process.env.BENCH_BATCH ?? 20);
const BRIDGE_BATCH = Number(process.env.BENCH_BRIDGE_BATCH ?? 8);
/** The last commit whose plugin-main.ts had no guard. */
const BEFORE_GUARD = "0909e7a";
const PLUGIN_MAIN = join(root, "packages", "skel", "src", "plugin-main.ts");
const PATH_ENV = "/usr/bin:/usr/sbin:/bin:/sbin";

/** esbuild plugin: the guard taken out. */
function unguarded() {
  const before = execFileSync("git", ["show", `${BEFORE_GUARD}:packages/skel/src/plugin-main.ts`], { cwd: root, encoding: "utf8" });
  return {
    name: "unguarded",
    setup(build) {
      build.onLoad({ filter: /plugin-main\.ts$/ }, (args) => (args.path === PLUGIN_MAIN ? { contents: before, loader: "ts", resolveDir: join(root, "packages", "skel", "src") } : undefined));
      build.onResolve({ filter: /^@tscni\/types\/work$/ }, () => ({ path: "work", namespace: "unguarded" }));
      build.onLoad({ filter: /.*/, namespace: "unguarded" }, () => ({
        contents: "export const trackWork = (work) => work; export const runInWorkScope = (_scope, fn) => fn(); export const claimProcessScope = () => () => {};",
        loader: "js",
      }));
    },
  };
}

function noopRows(dirs) {
  const stdin = JSON.stringify({ cniVersion: "1.0.0", name: "bench", type: "noop" });
  const env = { PATH: process.env.PATH ?? PATH_ENV, CNI_COMMAND: "ADD", CNI_CONTAINERID: "bench", CNI_NETNS: "/var/run/netns/tscni-bench-never-created", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" };
  const samples = { guarded: [], unguarded: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of ["unguarded", "guarded"]) samples[variant].push(cpuMsPerExec([join(dirs[variant], "noop")], env, stdin, BATCH));
  }
  return [median(samples.unguarded), median(samples.guarded)];
}

function bridgeRows(dirs, work) {
  const host = `tscni-benchg-${process.pid}`;
  const created = [];
  const ip = (...args) => execFileSync("ip", args, { stdio: "ignore" });
  try {
    ip("netns", "add", host);
    created.push(host);
    const samples = { guarded: [], unguarded: [] };
    const stdinOf = (variant, i) =>
      JSON.stringify({
        cniVersion: "1.0.0",
        name: `benchg-${variant}`,
        type: "bridge",
        bridge: `cni-bg${i}`,
        isGateway: true,
        ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: [[{ subnet: `169.254.${120 + i}.0/24` }]], routes: [{ dst: "0.0.0.0/0" }] },
      });
    // A batch: BRIDGE_BATCH ADDs (interfaces eth0..) into one fresh namespace, timed together; their DELs untimed.
    for (let round = 0; round < ROUNDS + 1; round++) {
      const ctr = `tscni-benchgc-${process.pid}-${round}`;
      ip("netns", "add", ctr);
      created.push(ctr);
      for (const [i, variant] of ["unguarded", "guarded"].entries()) {
        const env = { PATH: PATH_ENV, CNI_CONTAINERID: `bench-${variant}`, CNI_NETNS: `/run/netns/${ctr}`, CNI_PATH: dirs[variant] };
        const argv = ["nsenter", `--net=/run/netns/${host}`, "--", join(dirs[variant], "bridge")];
        const vary = `CNI_IFNAME=${variant.slice(0, 2)}$i`;
        const ms = cpuMsPerExec(argv, { ...env, CNI_COMMAND: "ADD" }, stdinOf(variant, i), BRIDGE_BATCH, vary);
        cpuMsPerExec(argv, { ...env, CNI_COMMAND: "DEL" }, stdinOf(variant, i), BRIDGE_BATCH, vary);
        if (round > 0) samples[variant].push(ms);
      }
      ip("netns", "del", ctr);
      created.pop();
    }
    return [median(samples.unguarded), median(samples.guarded)];
  } finally {
    for (const ns of created.reverse()) spawnSync("ip", ["netns", "del", ns]);
  }
}

export default async function bench() {
  const work = mkdtempSync(join(tmpdir(), "tscni-bench-guard-"));
  try {
    const dirs = { guarded: join(work, "guarded"), unguarded: join(work, "unguarded") };
    for (const [variant, dir] of Object.entries(dirs)) {
      mkdirSync(dir);
      const plugins = variant === "guarded" ? [] : [unguarded()];
      for (const name of ["noop", "bridge", "host-local"]) await bundleScript({ entry: join(root, "examples", name, "src", "main.ts"), outfile: join(dir, name), plugins });
    }
    // The comparison means nothing unless the two variants differ exactly by the guard.
    for (const name of ["noop", "bridge"]) {
      const has = (variant) => readFileSync(join(dirs[variant], name), "utf8").includes("a promise was not awaited");
      if (!has("guarded") || has("unguarded")) throw new Error(`guard bench: ${name}: the variants do not differ by the guard`);
    }
    const load = loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(`guard on vs off, same sources, same run; node ${process.version}; ${cpus().length} CPUs, load average ${load}`);
    const rows = [];
    const [noopOff, noopOn] = noopRows(dirs);
    rows.push([`examples/noop ADD (${ROUNDS} batches of ${BATCH})`, noopOff.toFixed(2), noopOn.toFixed(2), `${(noopOn / noopOff).toFixed(3)}x`]);
    if (process.getuid?.() === 0) {
      const [bridgeOff, bridgeOn] = bridgeRows(dirs, work);
      rows.push([`bridge + host-local ADD (${ROUNDS} batches of ${BRIDGE_BATCH})`, bridgeOff.toFixed(2), bridgeOn.toFixed(2), `${(bridgeOn / bridgeOff).toFixed(3)}x`]);
    } else {
      rows.push(["bridge + host-local ADD", "skipped: needs root for namespaces", "", ""]);
    }
    printTable(["case (median CPU ms per ADD)", "guard off", "guard on", "on / off"], rows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
