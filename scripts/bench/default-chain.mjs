// The default container network's chain (bridge with ipMasq + host-local + portmap + tuning + bandwidth) on our
// plugins against the same chain of Debian's Go plugins, both driven by a Go program on Debian's libcni 1.1.2:
// ADD then DEL of one container, inside a throwaway host namespace, medians of interleaved rounds.
// `node -e 0` is the floor of one Node plugin exec; the chain execs five plugins on ADD and five on DEL. With the
// daemon-mode shim built, the same chain through shims to `tscni daemon` running in the host namespace.
// Needs root, go, nft, tc and /usr/lib/cni; skips with a reason otherwise.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startDaemon } from "./lib/daemon.mjs";
import { median, printTable, timedSync } from "./lib/measure.mjs";

const root = resolve(import.meta.dirname, "../..");
const DIST = join(root, "dist", "bin");
const CHAIN = ["bridge", "host-local", "portmap", "tuning", "bandwidth"];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CAPS = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  bandwidth: { ingressRate: 50_000_000, ingressBurst: 400_000, egressRate: 50_000_000, egressBurst: 400_000 },
};

function missing() {
  const out = [];
  if (process.getuid?.() !== 0) out.push("root");
  for (const p of CHAIN) {
    if (!existsSync(join(DIST, p))) out.push(join(DIST, p));
    if (!existsSync(`/usr/lib/cni/${p}`)) out.push(`/usr/lib/cni/${p}`);
  }
  for (const tool of ["go", "nft", "tc"]) if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) out.push(tool);
  return out;
}

function buildDriver(dir) {
  const out = join(dir, "libcni-driver");
  execFileSync("go", ["build", "-o", out, join(root, "packages/libcni/test/go-driver/main.go")], {
    env: { PATH: process.env.PATH, HOME: dir, GO111MODULE: "off", GOPATH: `/usr/share/gocode:${join(dir, "gopath")}`, GOCACHE: join(dir, "gocache"), GOPROXY: "off", GOFLAGS: "", CGO_ENABLED: "0" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return out;
}

function conflist(dir, name) {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name,
    plugins: [
      { type: "bridge", bridge: `${name}0`, isGateway: true, ipMasq: true, ipam: { type: "host-local", dataDir: join(dir, "ipam"), ranges: [[{ subnet: "169.254.91.0/24" }]] } },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "tuning", mtu: 1400, sysctl: { "net.ipv4.conf.eth0.arp_ignore": "1" }, dataDir: join(dir, "tuning") },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  });
}

export default async function bench() {
  const lacking = missing();
  if (lacking.length) {
    console.log(`skipped: needs ${lacking.join(", ")}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "tscni-bench-chain-"));
  const host = `tscni-bench-ch-${process.pid}`;
  const ctr = `tscni-bench-cc-${process.pid}`;
  let daemon;
  try {
    const driver = buildDriver(dir);
    execFileSync("ip", ["netns", "add", host]);
    execFileSync("ip", ["netns", "add", ctr]);
    const oursDir = join(dir, "ours");
    mkdirSync(oursDir);
    for (const p of CHAIN) symlinkSync(join(DIST, p), join(oursDir, p));
    daemon = await startDaemon(dir, CHAIN, host);
    const subjects = { ours: { cniPath: oursDir, name: "tsch" }, go: { cniPath: "/usr/lib/cni", name: "goch" }, ...(daemon && { daemon: { cniPath: daemon.shims, name: "dmch" } }) };
    for (const s of Object.values(subjects)) writeFileSync(join(dir, `${s.name}.conflist`), conflist(dir, s.name));
    const env = { PATH: process.env.PATH };
    const run = (s, i) =>
      timedSync("ip", ["netns", "exec", host, "env", "-i", `PATH=${process.env.PATH}`, `CNI_PATH=${s.cniPath}`, driver, "-conf", join(dir, `${s.name}.conflist`), "-cache", join(dir, `cache-${s.name}`), "-netns", `/run/netns/${ctr}`, "-cid", `bench${i}`, "-caps", JSON.stringify(CAPS), "addDel"], env);
    const times = { floor: [], ours: [], go: [], daemon: [] };
    for (const s of Object.values(subjects)) run(s, "warm");
    for (let i = 0; i < ROUNDS; i++) {
      times.floor.push(timedSync(process.execPath, ["-e", "0"], env));
      for (const [key, s] of Object.entries(subjects)) times[key].push(run(s, i));
    }
    const [floor, ours, go, viaDaemon] = [median(times.floor), median(times.ours), median(times.go), daemon ? median(times.daemon) : undefined];
    printTable(
      ["ADD+DEL of the default chain via Go libcni", "median ms", "x Go", "x node -e 0"],
      [
        ["ours (5 plugins, 10 Node execs)", ours.toFixed(1), (ours / go).toFixed(2), (ours / floor).toFixed(1)],
        viaDaemon === undefined
          ? ["ours through tscni daemon: skipped (dist/bin/tscni-shim not built)", "", "", ""]
          : ["ours through tscni daemon (10 shim execs)", viaDaemon.toFixed(1), (viaDaemon / go).toFixed(2), (viaDaemon / floor).toFixed(1)],
        ["Debian's Go plugins", go.toFixed(1), "1.00", (go / floor).toFixed(1)],
        ["node -e 0", floor.toFixed(1), "", "1.0"],
      ],
    );
    console.log(`(${ROUNDS} interleaved rounds; bridge ipMasq + host-local + portmap + tuning + bandwidth, cniVersion 1.0.0)`);
  } finally {
    await daemon?.stop();
    spawnSync("ip", ["netns", "del", ctr]);
    spawnSync("ip", ["netns", "del", host]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
