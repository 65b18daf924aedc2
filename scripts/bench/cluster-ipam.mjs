// cluster-ipam (dist/bin/cluster-ipam) on a real 3-member etcd cluster on
// 127.0.0.1, against our host-local on one node doing the same work:
// single ADD and DEL latency (interleaved rounds, medians), and allocations per
// second with 3 simulated nodes x 16 processes allocating at once against
// host-local's 16 processes on one node. `node -e 0` is the floor of any Node
// plugin's exec. With the daemon-mode shim built, the same ADD and DEL through
// `tscni daemon` (a shim exec'd, the plugin in the long-lived process, its etcd
// connections kept). Skipped with a reason when etcd is not installed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { startDaemon } from "./lib/daemon.mjs";
import { execAsync, median, printTable, timedSync } from "./lib/measure.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const CLUSTER = join(root, "dist", "bin", "cluster-ipam");
const HOST_LOCAL = join(root, "dist", "bin", "host-local");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const NODES = 3;
const WAY = 16;
const PER_WORKER = Number(process.env.BENCH_CLUSTER_ADDS ?? 4);

/** The etcd test kit and the store are TypeScript: bundle them for this process, as build.mjs does with @tscni/bundle. */
async function loadModules() {
  const dir = join(root, "dist", ".build");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `etcd-bench-${process.pid}.mjs`);
  try {
    await build({
      stdin: {
        contents: [
          'export { startEtcdCluster } from "@tscni/etcd/testkit";',
          'export { EtcdClient } from "@tscni/etcd";',
          'export { ClusterStore } from "@tscni/ipam/cluster";',
          'export { parseRangeSets } from "@tscni/ipam";',
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      outfile: file,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      conditions: ["source"],
      logLevel: "error",
    });
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}

function env(command, containerId, node) {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/tscni-bench-never-created",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
    TSCNI_NODE_NAME: node,
  };
}

const clusterConfig = (endpoints, name) =>
  JSON.stringify({
    cniVersion: "1.1.0",
    name,
    type: "cluster-ipam",
    ipam: { type: "cluster-ipam", etcd: { endpoints }, ranges: [[{ subnet: "169.254.96.0/20" }]] },
  });
const hostLocalConfig = (dataDir) =>
  JSON.stringify({ cniVersion: "1.1.0", name: "benchnet", type: "host-local", ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "169.254.96.0/20" }]] } });

async function rate(workers, file, input, envFor) {
  const start = process.hrtime.bigint();
  const handed = await Promise.all(
    workers.map(async (w) => {
      const ips = [];
      for (let i = 0; i < PER_WORKER; i++) ips.push(JSON.parse(await execAsync(file, envFor(w, i), input)).ips[0].address);
      return ips;
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const all = handed.flat();
  if (new Set(all).size !== all.length) throw new Error(`${file} handed out an address twice`);
  return all.length / seconds;
}

export default async function bench() {
  for (const f of [CLUSTER, HOST_LOCAL]) if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs`);
  try {
    execFileSync("sh", ["-c", "command -v etcd"], { stdio: "ignore" });
  } catch {
    console.log("skipped: etcd is not installed (Debian etcd-server)");
    return;
  }
  const { startEtcdCluster, EtcdClient, ClusterStore, parseRangeSets } = await loadModules();
  const etcd = await startEtcdCluster({ members: 3 });
  const dataDir = mkdtempSync(join(tmpdir(), "tscni-bench-cipam-"));
  let daemon;
  try {
    daemon = await startDaemon(dataDir, ["cluster-ipam"]);
    const times = { floor: [], cAdd: [], cDel: [], hAdd: [], hDel: [], dAdd: [], dDel: [] };
    const latInput = clusterConfig(etcd.endpoints, "latnet");
    for (let i = 0; i < ROUNDS; i++) {
      times.floor.push(timedSync(process.execPath, ["-e", "0"], env("VERSION", "x", "n"), ""));
      times.cAdd.push(timedSync(CLUSTER, [], env("ADD", `lat${i}`, "node-a"), latInput));
      times.cDel.push(timedSync(CLUSTER, [], env("DEL", `lat${i}`, "node-a"), latInput));
      times.hAdd.push(timedSync(HOST_LOCAL, [], env("ADD", `lat${i}`, "node-a"), hostLocalConfig(dataDir)));
      times.hDel.push(timedSync(HOST_LOCAL, [], env("DEL", `lat${i}`, "node-a"), hostLocalConfig(dataDir)));
      if (daemon) {
        times.dAdd.push(timedSync(join(daemon.shims, "cluster-ipam"), [], env("ADD", `dlat${i}`, "node-a"), latInput));
        times.dDel.push(timedSync(join(daemon.shims, "cluster-ipam"), [], env("DEL", `dlat${i}`, "node-a"), latInput));
      }
    }
    const [floor, cAdd, cDel, hAdd, hDel, dAdd, dDel] = ["floor", "cAdd", "cDel", "hAdd", "hDel", "dAdd", "dDel"].map((k) => median(times[k]));
    const nodes = Array.from({ length: NODES }, (_, n) => `node-${n}`);
    const clusterWorkers = nodes.flatMap((node) => Array.from({ length: WAY }, (_, w) => ({ node, w })));
    const clusterRate = await rate(clusterWorkers, CLUSTER, clusterConfig(etcd.endpoints, "ratenet"), ({ node, w }, i) => env("ADD", `${node}-${w}-${i}`, node));
    // The same 3x16 allocations in one process per node, no exec: what etcd itself sustains (the daemon-mode shape).
    const rangeSets = parseRangeSets([[{ subnet: "169.254.96.0/20" }]], "ipam.ranges");
    const clients = nodes.map(() => new EtcdClient({ endpoints: etcd.endpoints }));
    const inProcessStart = process.hrtime.bigint();
    const inProcess = await Promise.all(
      clusterWorkers.map(async ({ node, w }) => {
        const store = new ClusterStore({ client: clients[nodes.indexOf(node)], network: "inproc", node });
        const ips = [];
        for (let i = 0; i < PER_WORKER * 4; i++) {
          const [a] = await store.allocate({ owner: { containerId: `${node}-${w}-${i}`, ifName: "eth0" }, rangeSets });
          ips.push(a.address.value);
        }
        return ips;
      }),
    );
    const inProcessRate = inProcess.flat().length / (Number(process.hrtime.bigint() - inProcessStart) / 1e9);
    for (const c of clients) c.close();
    if (new Set(inProcess.flat()).size !== inProcess.flat().length) throw new Error("in-process allocation handed out an address twice");
    const hostWorkers = Array.from({ length: WAY }, (_, w) => ({ node: "node-0", w }));
    const hostRate = await rate(hostWorkers, HOST_LOCAL, hostLocalConfig(join(dataDir, "rate")), ({ w }, i) => env("ADD", `h-${w}-${i}`, "node-0"));
    printTable(
      ["case", "median ms", "x floor", "x host-local", "per second"],
      [
        ["node -e 0 (floor)", floor.toFixed(1), "", "", ""],
        ["cluster-ipam ADD (3-member etcd)", cAdd.toFixed(1), (cAdd / floor).toFixed(2), (cAdd / hAdd).toFixed(2), ""],
        ["host-local ADD (ours)", hAdd.toFixed(1), (hAdd / floor).toFixed(2), "1.00", ""],
        ["cluster-ipam DEL", cDel.toFixed(1), (cDel / floor).toFixed(2), (cDel / hDel).toFixed(2), ""],
        ["host-local DEL (ours)", hDel.toFixed(1), (hDel / floor).toFixed(2), "1.00", ""],
        ...(daemon
          ? [
              ["cluster-ipam ADD through the daemon shim", dAdd.toFixed(1), (dAdd / floor).toFixed(2), (dAdd / hAdd).toFixed(2), ""],
              ["cluster-ipam DEL through the daemon shim", dDel.toFixed(1), (dDel / floor).toFixed(2), (dDel / hDel).toFixed(2), ""],
            ]
          : [["cluster-ipam through the daemon: skipped (dist/bin/tscni-shim not built)", "", "", "", ""]]),
        [`allocations/s, cluster-ipam, ${NODES} nodes x ${WAY}`, "", "", (clusterRate / hostRate).toFixed(2), clusterRate.toFixed(1)],
        [`allocations/s, host-local, 1 node x ${WAY}`, "", "", "1.00", hostRate.toFixed(1)],
        [`allocations/s, ClusterStore in process, ${NODES} nodes x ${WAY}`, "", "", (inProcessRate / hostRate).toFixed(2), inProcessRate.toFixed(1)],
      ],
    );
    console.log(`(${ROUNDS} interleaved rounds for latency; ${PER_WORKER} ADDs per worker for throughput; /20 range; every process an exec'd plugin)`);
  } finally {
    await daemon?.stop();
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
