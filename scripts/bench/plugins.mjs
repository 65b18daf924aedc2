// ADD and DEL latency of the reference plugins on real namespaces: ours
// (TypeScript bundles in dist/bin) against Debian's Go plugins (1.1.1) doing
// the same work (same config, same IPAM, cniVersion 1.0.0, which both speak).
// The "host" side is a throwaway namespace entered with nsenter (the same ~1 ms
// for every case); each round makes a fresh container namespace outside the
// timed region, then times ADD and DEL; cases are interleaved round by round
// and medians are reported. Needs root; prints why and returns otherwise.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const ours = join(root, "dist", "bin");
const go = "/usr/lib/cni";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP = 2;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function ip(...args) {
  execFileSync("ip", args, { stdio: "ignore" });
}

/** One case: a plugin directory (symlinks chosen from ours/Go), the main plugin and its config. */
function makeCase(work, n, { name, plugins, type, config, ifName = "eth0" }) {
  const dir = join(work, `plugins-${n}`);
  mkdirSync(dir);
  for (const [plugin, from] of Object.entries(plugins)) symlinkSync(join(from === "ours" ? ours : go, plugin), join(dir, plugin));
  return { name, dir, ifName, binary: join(dir, type), stdin: JSON.stringify({ cniVersion: "1.0.0", name: `bench${n}`, type, ...config }) };
}

function timeOnce(c, host, command, ctrPath) {
  const env = { PATH: "/usr/bin:/usr/sbin:/bin:/sbin", CNI_COMMAND: command, CNI_CONTAINERID: "bench-ctr", CNI_NETNS: ctrPath, CNI_IFNAME: c.ifName, CNI_PATH: c.dir };
  const start = process.hrtime.bigint();
  const r = spawnSync("nsenter", [`--net=/run/netns/${host}`, "--", c.binary], { env, input: c.stdin, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} ${command}: exit ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

function floor(host) {
  const start = process.hrtime.bigint();
  spawnSync("nsenter", [`--net=/run/netns/${host}`, "--", process.execPath, "-e", "0"], { env: {} });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** What batching buys: five address changes as five `nsenter ip` processes or as one `ip -batch -`. */
function batchingTable(ctrPath) {
  const ipArgs = (line) => ["--net=" + ctrPath, "--", "ip", ...line.split(" ")];
  const lines = (op) => [1, 2, 3, 4, 5].map((i) => `addr ${op} 169.254.120.${i}/32 dev lo`);
  const time = (fn) => {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const single = [];
  const batched = [];
  const one = [];
  for (let round = 0; round < ROUNDS; round++) {
    single.push(time(() => lines("add").forEach((l) => spawnSync("nsenter", ipArgs(l)))));
    spawnSync("nsenter", ["--net=" + ctrPath, "--", "ip", "-batch", "-"], { input: lines("del").join("\n") });
    batched.push(time(() => spawnSync("nsenter", ["--net=" + ctrPath, "--", "ip", "-batch", "-"], { input: lines("add").join("\n") })));
    spawnSync("nsenter", ["--net=" + ctrPath, "--", "ip", "-batch", "-"], { input: lines("del").join("\n") });
    one.push(time(() => spawnSync("nsenter", ["--net=" + ctrPath, "--", "ip", "-json", "link", "show", "dev", "lo"])));
  }
  console.log("\n@tscni/netns cost model (medians): what one operation and a batch cost");
  console.log(`  one read, nsenter + ip -json           ${median(one).toFixed(1)} ms`);
  console.log(`  5 address adds, 5 processes            ${median(single).toFixed(1)} ms`);
  console.log(`  5 address adds, one ip -batch process  ${median(batched).toFixed(1)} ms`);
}

export default async function bench() {
  if (process.getuid?.() !== 0) {
    console.log("plugins: skipped (needs root to create network namespaces)");
    return;
  }
  for (const p of ["bridge", "ptp", "loopback", "host-local"]) {
    if (!existsSync(join(ours, p)) || !existsSync(join(go, p))) {
      console.log(`plugins: skipped (needs dist/bin/${p} and ${go}/${p})`);
      return;
    }
  }
  const work = mkdtempSync(join(tmpdir(), "tscni-bench-plugins-"));
  const host = `tscni-benchh-${process.pid}`;
  const created = [];
  try {
    ip("netns", "add", host);
    let n = 0;
    const ipam = (subnet) => ({ type: "host-local", dataDir: join(work, "ipam"), ranges: [[{ subnet }]], routes: [{ dst: "0.0.0.0/0" }] });
    const bridge = (i) => ({ bridge: `cni-bench${i}`, isGateway: true, ipam: ipam(`169.254.${100 + i}.0/24`) });
    const specs = [
      { group: "bridge+host-local", name: "TS bridge + TS host-local", plugins: { bridge: "ours", "host-local": "ours" }, type: "bridge", config: bridge(0) },
      { group: "bridge+host-local", name: "TS bridge + Go host-local", plugins: { bridge: "ours", "host-local": "go" }, type: "bridge", config: bridge(1) },
      { group: "bridge+host-local", name: "Go bridge + Go host-local", plugins: { bridge: "go", "host-local": "go" }, type: "bridge", config: bridge(2), go: true },
      { group: "ptp+host-local", name: "TS ptp + TS host-local", plugins: { ptp: "ours", "host-local": "ours" }, type: "ptp", config: { ipam: ipam("169.254.110.0/24") } },
      { group: "ptp+host-local", name: "Go ptp + Go host-local", plugins: { ptp: "go", "host-local": "go" }, type: "ptp", config: { ipam: ipam("169.254.111.0/24") }, go: true },
      { group: "loopback", name: "TS loopback", plugins: { loopback: "ours" }, type: "loopback", config: {}, ifName: "lo" },
      { group: "loopback", name: "Go loopback", plugins: { loopback: "go" }, type: "loopback", config: {}, ifName: "lo", go: true },
    ];
    const cases = specs.map((s) => ({ ...s, ...makeCase(work, n++, s), add: [], del: [] }));
    const floors = [];
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const ctr = `tscni-benchc-${process.pid}-${round}`;
      ip("netns", "add", ctr);
      created.push(ctr);
      floors.push(floor(host));
      for (const c of cases) {
        const add = timeOnce(c, host, "ADD", `/run/netns/${ctr}`);
        const del = timeOnce(c, host, "DEL", `/run/netns/${ctr}`);
        if (round >= WARMUP) {
          c.add.push(add);
          c.del.push(del);
        }
      }
      ip("netns", "del", ctr);
      created.pop();
    }
    const floorMs = median(floors.slice(WARMUP));
    const goOf = (group) => cases.find((c) => c.group === group && c.go);
    const rows = [["case", "ADD ms", "DEL ms", "ADD / Go", "DEL / Go", "ADD / node -e 0"]];
    rows.push(["nsenter + node -e 0 (floor)", floorMs.toFixed(1), "", "", "", "1.00"]);
    for (const c of cases) {
      const g = goOf(c.group);
      const add = median(c.add);
      const del = median(c.del);
      rows.push([c.name, add.toFixed(1), del.toFixed(1), (add / median(g.add)).toFixed(2), (del / median(g.del)).toFixed(2), (add / floorMs).toFixed(2)]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`medians of ${ROUNDS} rounds (after ${WARMUP} warm-up), cniVersion 1.0.0, host side in a namespace via nsenter`);
    for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
    const ctr = `tscni-benchc-${process.pid}-batch`;
    ip("netns", "add", ctr);
    created.push(ctr);
    batchingTable(`/run/netns/${ctr}`);
  } finally {
    for (const ctr of created) spawnSync("ip", ["netns", "del", ctr]);
    spawnSync("ip", ["netns", "del", host]);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
