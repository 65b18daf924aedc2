// Daemon mode and in-process delegation against Debian's Go plugins, ratios in one run (issue 12):
//  1. VERSION exec: the static C shim (answers itself) vs Go's loopback;
//  2. bridge + host-local ADD+DEL driven by Go libcni (the go-driver, addDel -repeat): shims in front of the
//     daemon, the SEA multi-call set (host-local in process), and script bundles, each vs Go's plugins;
//  3. 16 processes x 8 host-local ADDs, wall time: shims vs Go's host-local (and script bundles);
//  the floors under targets 2 and 3, in the same run: the SEA answering a no-op plugin (two Node starts per
//  ADD+DEL, no work), the 16x8 loop exec'ing /bin/true and the shim of the daemon's noop plugin, the CPU of
//  one file creation in the data directory's file system (host-local makes two per ADD), and the lower bound
//  they give the 16x8 row through the daemon;
//  4. the daemon's RSS with every example plugin loaded, then across BENCH_DAEMON_CYCLES (default 20000)
//     host-local ADD/DEL cycles sent straight to its socket (8 at a time).
// Medians of BENCH_RUNS batches. Needs root, ip, go, /usr/lib/cni, gcc's shim; skips with a reason otherwise.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { median, printTable } from "./lib/measure.mjs";

const root = resolve(import.meta.dirname, "../..");
const BIN = join(root, "dist/bin");
const SEA = join(root, "dist/sea");
const SHIM = join(BIN, "tscni-shim");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CYCLES = Number(process.env.BENCH_DAEMON_CYCLES ?? 20000);
const GO = "/usr/lib/cni";
const ms = (x) => x.toFixed(2);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

function goEnv(dir) {
  return { PATH: process.env.PATH, HOME: dir, GO111MODULE: "off", GOPATH: `/usr/share/gocode:${join(dir, "gopath")}`, GOCACHE: join(dir, "gocache"), GOPROXY: "off", GOFLAGS: "", CGO_ENABLED: "0" };
}

function missing() {
  const out = [];
  if (process.getuid?.() !== 0) out.push("root");
  for (const f of [`${GO}/bridge`, `${GO}/host-local`, `${GO}/loopback`, SHIM, join(BIN, "tscni")]) if (!existsSync(f)) out.push(f);
  if (spawnSync("go", ["version"]).status !== 0) out.push("go");
  return out;
}

/** Wall ms of one bash script run (the batch), as a runtime's loop of execs would take; inside `netns` when given. */
function wall(script, env, netns) {
  const argv = netns ? ["ip", "netns", "exec", netns, "bash", "-c", script] : ["bash", "-c", script];
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: "utf8" });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench batch failed (${r.status}): ${r.stderr.slice(0, 500)}${r.stdout.slice(0, 500)}`);
  return t;
}

function waitForSocket(path, proc, log) {
  const deadline = Date.now() + 20_000;
  return new Promise((resolvePromise, reject) => {
    const poll = () => {
      if (log().includes("listening on")) return resolvePromise();
      if (proc.exitCode !== null || Date.now() > deadline) return reject(new Error(`daemon did not start: ${log()}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

/** user + system CPU ms of process `pid` so far (clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]) / 1024;
}

/**
 * CPU (user + sys of this process) of creating one empty file with O_CREAT|O_EXCL and closing it in `dir`,
 * in microseconds, the median of 7 batches of 200. Every file stays until the end, as host-local's
 * reservations do: on this project's machines a freshly allocated inode costs several times one just freed.
 */
function createCostUs(dir) {
  const batches = [];
  const work = mkdtempSync(join(dir, "tscni-bench-create-"));
  try {
    for (let b = 0; b < 7; b++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 200; i++) closeSync(openSync(join(work, `f${b}-${i}`), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644));
      const c = process.cpuUsage(c0);
      batches.push((c.user + c.system) / 200);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return median(batches);
}

/** One request straight to the daemon's socket, as the shim sends it. */
function direct(socket, plugin, env, stdin) {
  const envBlock = Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(""));
  const body = Buffer.concat([envBlock, Buffer.from(stdin)]);
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath: socket, method: "POST", path: `/v1/exec/${plugin}`, headers: { "x-tscni-env-bytes": envBlock.length, "content-length": body.length } }, (res) => {
      let out = "";
      res.on("data", (c) => (out += c));
      res.on("end", () => (res.headers["x-tscni-exit"] === "0" ? resolvePromise(out) : reject(new Error(`exit ${res.headers["x-tscni-exit"]}: ${out}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export default async function daemonBench() {
  const why = missing();
  if (why.length) {
    console.log(`daemon benchmark skipped: needs ${why.join(", ")}`);
    return;
  }
  delete process.env.NODE_EXTRA_CA_CERTS;
  const dir = mkdtempSync(join(tmpdir(), "tscni-bench-daemon-"));
  const host = `tscni-bench-dh-${process.pid}`;
  const ctr = `tscni-bench-dc-${process.pid}`;
  let daemon;
  let nodeSpawnDaemon;
  try {
    const driver = join(dir, "libcni-driver");
    execFileSync("go", ["build", "-o", driver, join(root, "packages/libcni/test/go-driver/main.go")], { env: goEnv(dir) });
    const shims = join(dir, "shims");
    mkdirSync(shims);
    const socket = join(dir, "run", "d.sock");
    const { installShims, readShimConfig } = await import(pathToFileURL(join(root, "packages/daemon/dist/index.js")).href);
    await installShims({ binDir: shims, socketPath: socket, plugins: ["bridge", "host-local", "loopback", "noop"], shimPath: SHIM });
    execFileSync("ip", ["netns", "add", host]);
    execFileSync("ip", ["netns", "add", ctr]);
    daemon = spawn("ip", ["netns", "exec", host, process.execPath, join(BIN, "tscni"), "daemon", "--socket", socket], { stdio: ["ignore", "ignore", "pipe"], env: process.env });
    let log = "";
    daemon.stderr.on("data", (c) => (log += c));
    await waitForSocket(socket, daemon, () => log);
    // A second daemon that starts ip/nsenter with Node's own spawn (a fork of the daemon), for the spawner's row.
    const nodeSpawnShims = join(dir, "shims-node-spawn");
    const nodeSpawnSocket = join(dir, "run-node-spawn", "d.sock");
    mkdirSync(nodeSpawnShims);
    // The same versions as the first shims (a bundle is loaded once per process).
    const versions = Object.fromEntries(["bridge", "host-local", "loopback"].map((p) => [p, readShimConfig(readFileSync(join(shims, p))).versions.split(",")]));
    await installShims({ binDir: nodeSpawnShims, socketPath: nodeSpawnSocket, plugins: ["bridge", "host-local", "loopback"], shimPath: SHIM, versions });
    nodeSpawnDaemon = spawn("ip", ["netns", "exec", host, process.execPath, join(BIN, "tscni"), "daemon", "--socket", nodeSpawnSocket], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TSCNI_DAEMON_SPAWNER: "node" },
    });
    let nodeSpawnLog = "";
    nodeSpawnDaemon.stderr.on("data", (c) => (nodeSpawnLog += c));
    await waitForSocket(nodeSpawnSocket, nodeSpawnDaemon, () => nodeSpawnLog);
    const rssLoaded = rssMb(daemon.pid);

    const env = { PATH: process.env.PATH };
    const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

    // 1. VERSION
    const versionBatch = (file) => `for i in $(seq 200); do CNI_COMMAND=VERSION ${q(file)} </dev/null >/dev/null || exit 1; done`;
    const version = { shim: [], go: [] };
    for (let i = 0; i < RUNS; i++) {
      version.shim.push(wall(versionBatch(join(shims, "loopback")), env) / 200);
      version.go.push(wall(versionBatch(`${GO}/loopback`), env) / 200);
    }

    // 2. bridge + host-local ADD+DEL through Go libcni
    const confFor = (name, subnet) => {
      const file = join(dir, `${name}.conflist`);
      writeFileSync(file, JSON.stringify({ cniVersion: "1.0.0", name, plugins: [{ type: "bridge", bridge: `tb${name}`.slice(0, 15), isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet }]], dataDir: join(dir, `ipam-${name}`) } }] }));
      return file;
    };
    const REPEAT = 10;
    const noopConf = join(dir, "noop.conflist");
    writeFileSync(noopConf, JSON.stringify({ cniVersion: "1.0.0", name: "noop", plugins: [{ type: "noop" }] }));
    const forms = [
      ["Go plugins (Debian)", GO, "go"],
      ["shims -> daemon", shims, "shim"],
      ["shims -> daemon, ip/nsenter by Node's spawn", nodeSpawnShims, "shimnode"],
      ...(existsSync(join(SEA, "tscni-plugins"))
        ? [
            ["SEA multi-call (host-local in process)", SEA, "sea"],
            ["SEA multi-call, TSCNI_DELEGATE_EXEC=1", SEA, "seaexec"],
            ["floor: the SEA's noop plugin (two Node starts, no work)", SEA, "seanoop"],
          ]
        : []),
      ["script bundles (dist/bin)", BIN, "bundle"],
    ];
    const addDel = Object.fromEntries(forms.map(([, , k]) => [k, []]));
    const scriptFor = (path, key, i) => {
      const conf = key === "seanoop" ? noopConf : confFor(`${key}${i % 2}`, `169.254.${100 + forms.findIndex((f) => f[2] === key)}.0/24`);
      const extra = key === "seaexec" ? "TSCNI_DELEGATE_EXEC=1" : "";
      return `ip netns exec ${host} env -i PATH="$PATH" CNI_PATH=${q(path)} ${extra} ${q(driver)} -conf ${q(conf)} -cache ${q(join(dir, `cache-${key}`))} -netns /run/netns/${ctr} -cid bench -repeat ${REPEAT} addDel`;
    };
    for (const [, path, key] of forms) wall(scriptFor(path, key, 0), env); // warm-up: bridge creation, page cache
    for (let i = 0; i < RUNS; i++) for (const [, path, key] of forms) addDel[key].push(wall(scriptFor(path, key, 0), env) / REPEAT);

    // 3. 16 x 8 host-local ADDs
    const parallel = (file, key, run) => {
      const conf = join(dir, `par-${key}-${run}.json`);
      writeFileSync(conf, JSON.stringify({ cniVersion: "1.0.0", name: `par${key}${run}`, type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.120.0/22" }]], dataDir: join(dir, `ipam-par-${key}-${run}`) } }));
      const worker = (w) => `(for i in 1 2 3 4 5 6 7 8; do CNI_COMMAND=ADD CNI_CONTAINERID=w${w}-$i CNI_IFNAME=eth0 CNI_NETNS=/x CNI_PATH=/x ${q(file)} <${q(conf)} >/dev/null || exit 1; done) &`;
      return `${Array.from({ length: 16 }, (_, w) => worker(w)).join("\n")}\nfor j in $(jobs -p); do wait $j || exit 1; done`;
    };
    const parFiles = { go: `${GO}/host-local`, shim: join(shims, "host-local"), bundle: join(BIN, "host-local"), truebin: "/bin/true", noop: join(shims, "noop") };
    const par = Object.fromEntries(Object.keys(parFiles).map((k) => [k, []]));
    // In the daemon's namespace, as a node's runtime is (a caller elsewhere gets its host side run through nsenter).
    // The daemon's CPU in the noop rows: what its one thread spends on a request that does no work.
    const noopCpu = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [key, file] of Object.entries(parFiles)) {
        const c0 = cpuMs(daemon.pid);
        par[key].push(wall(parallel(file, key, i), env, host));
        if (key === "noop") noopCpu.push((cpuMs(daemon.pid) - c0) / 128);
      }
    }

    const rssAfterBench = rssMb(daemon.pid);
    const create = { data: createCostUs(dir), shm: existsSync("/dev/shm") ? createCostUs("/dev/shm") : undefined };

    // 4. memory over ADD/DEL cycles, straight to the socket
    const cycleConf = JSON.stringify({ cniVersion: "1.0.0", name: "cycles", type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.124.0/22" }]], dataDir: join(dir, "ipam-cycles") } });
    const cycleEnv = (verb, id) => ({ CNI_COMMAND: verb, CNI_CONTAINERID: `cyc-${id}`, CNI_IFNAME: "eth0", CNI_NETNS: "/x", CNI_PATH: shims });
    const cycles = async (from, count) => {
      let next = from;
      const lane = async () => {
        while (next < from + count) {
          const id = next++;
          await direct(socket, "host-local", cycleEnv("ADD", id), cycleConf);
          await direct(socket, "host-local", cycleEnv("DEL", id), cycleConf);
        }
      };
      await Promise.all(Array.from({ length: 8 }, lane));
    };
    const warm = Math.min(1000, CYCLES);
    await cycles(0, warm);
    const rssWarm = rssMb(daemon.pid);
    const t0 = performance.now();
    await cycles(warm, CYCLES);
    const cycleSeconds = (performance.now() - t0) / 1000;
    const rssEnd = rssMb(daemon.pid);

    const m = (xs) => median(xs);
    console.log(`\nVERSION exec, per exec (median of ${RUNS} batches of 200, ms)`);
    printTable(["plugin", "ms", "vs Go"], [
      ["Go loopback", ms(m(version.go)), "1.00x"],
      ["tscni shim (loopback)", ms(m(version.shim)), ratio(m(version.shim), m(version.go))],
    ]);
    console.log(`\nbridge + host-local ADD+DEL via Go libcni 1.1.2 (addDel x${REPEAT} per run, median of ${RUNS}, ms per ADD+DEL)`);
    printTable(["plugins", "ms", "vs Go"], forms.map(([label, , key]) => [label, ms(m(addDel[key])), ratio(m(addDel[key]), m(addDel.go))]));
    console.log(`\n16 processes x 8 host-local ADDs, wall time (median of ${RUNS}, ms)`);
    printTable(["host-local", "ms", "vs Go"], [
      ["Go host-local", ms(m(par.go)), "1.00x"],
      ["tscni shim -> daemon", ms(m(par.shim)), ratio(m(par.shim), m(par.go))],
      ["tscni script bundle", ms(m(par.bundle)), ratio(m(par.bundle), m(par.go))],
      ["floor: the same loop exec'ing /bin/true", ms(m(par.truebin)), ratio(m(par.truebin), m(par.go))],
      ["floor: tscni shim -> daemon, noop plugin", ms(m(par.noop)), ratio(m(par.noop), m(par.go))],
    ]);
    // A host-local ADD takes the noop request's whole path (shim, wire, skel) and more, so the 16x8 loop takes at
    // least the noop loop's time; and the daemon's one thread serves every request, so at least 128 x (a noop
    // request's CPU + two file creations).
    const serial = 128 * (m(noopCpu) + (2 * create.data) / 1000);
    const bound = Math.max(m(par.noop), serial);
    console.log(`\none file creation (open O_CREAT|O_EXCL, close; the files kept), CPU, median of 7 batches of 200, us`);
    printTable(["file system", "us"], [
      [`the data directory's (${dir})`, create.data.toFixed(1)],
      ...(create.shm === undefined ? [] : [["/dev/shm (tmpfs)", create.shm.toFixed(1)]]),
    ]);
    console.log(
      `16x8 host-local through the daemon, lower bound: the larger of the noop loop (${ms(m(par.noop))} ms) and its one thread's ` +
        `128 x (${ms(m(noopCpu))} ms of CPU per noop request + 2 file creations: claim, address file) = ${ms(serial)} ms: ${ms(bound)} ms, ${ratio(bound, m(par.go))} Go`,
    );
    console.log(`\ndaemon RSS (every example plugin loaded), MB`);
    printTable(["when", "MB", "vs warm"], [
      ["loaded, before any request", rssLoaded.toFixed(1), ""],
      ["after the benchmarks above", rssAfterBench.toFixed(1), ""],
      [`after ${warm} host-local ADD/DEL cycles (warm)`, rssWarm.toFixed(1), "1.00x"],
      [`after ${CYCLES} more (${(CYCLES / cycleSeconds).toFixed(0)} cycles/s)`, rssEnd.toFixed(1), ratio(rssEnd, rssWarm)],
    ]);
  } finally {
    for (const d of [daemon, nodeSpawnDaemon]) {
      if (d && d.exitCode === null) {
        d.kill("SIGTERM");
        await new Promise((r) => d.once("exit", r));
      }
    }
    spawnSync("ip", ["netns", "del", ctr]);
    spawnSync("ip", ["netns", "del", host]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await daemonBench();
