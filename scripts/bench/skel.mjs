// What skel's ADD costs on top of Node's start, split from what a plugin's own
// config schema costs: CPU time (user+sys) of minimal plugins exec'd as a
// runtime does (env, stdin a real pipe already closed), against `node -e 0`
// and an empty script. Each sample is the mean of a batch of execs, read from
// bash's `times` (cumulative children CPU), so it is not rounded to the 1 ms
// of a single `time`; batches are interleaved case by case, medians reported.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleScript } from "./lib/bundle-script.mjs";

const root = resolve(import.meta.dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const BATCH = Number(process.env.BENCH_BATCH ?? 20);
const STDIN = JSON.stringify({ cniVersion: "1.0.0", name: "bench", type: "bench" });
const ADD = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "bench", CNI_NETNS: "/var/run/netns/tscni-bench-never-created", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" };
const VERSION = { CNI_COMMAND: "VERSION" };

const HANDLERS = `add: ({ ifName, netns }) => ({ interfaces: [{ name: ifName, sandbox: netns }], ips: [{ interface: 0, address: "169.254.0.2/16" }] }), del: () => {}`;
const ENTRIES = {
  empty: ``,
  "no config schema": `import { pluginMain } from "@tscni/skel"; void pluginMain({ ${HANDLERS} });`,
  "zod/mini config schema": `import * as z from "zod/mini"; import { lazySchema, pluginMain } from "@tscni/skel";
    const config = () => z.object({ mtu: z._default(z.int().check(z.minimum(576)), 1500), bridge: z.optional(z.string()), hairpin: z.optional(z.boolean()) });
    void pluginMain({ ${HANDLERS}, config: lazySchema(config) });`,
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Mean CPU ms per exec over a batch; `times` prints the shell's children's user and sys totals. */
function batch(c) {
  const quoted = [c.file, ...(c.args ?? [])].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `for ((i=0;i<${BATCH};i++)); do ${quoted} < <(printf %s "$BENCH_STDIN") >/dev/null 2>&1 || exit 1; done; times`;
  const r = spawnSync("bash", ["-c", script], { env: { ...c.env, BENCH_STDIN: c.stdin ?? "" }, encoding: "utf8" });
  const children = r.stdout.trim().split("\n").at(-1) ?? "";
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  if (r.status !== 0 || !(seconds > 0)) throw new Error(`${c.name}: bash exit ${r.status}: ${r.stderr}`);
  return (seconds * 1000) / BATCH;
}

export default async function bench() {
  const work = mkdtempSync(join(tmpdir(), "tscni-bench-skel-"));
  try {
    const files = {};
    for (const [name, contents] of Object.entries(ENTRIES)) {
      const file = join(work, name.replace(/\W+/g, "-"));
      await bundleScript({ contents, outfile: file });
      files[name] = file;
    }
    const noop = join(root, "dist", "bin", "noop");
    const cases = [
      { name: "node -e 0 (floor)", file: process.execPath, args: ["-e", "0"], env: {} },
      { name: "empty script", file: process.execPath, args: [files.empty], env: {} },
      { name: "plugin, no config schema: VERSION", file: files["no config schema"], env: VERSION, stdin: STDIN },
      { name: "plugin, no config schema: ADD", file: files["no config schema"], env: ADD, stdin: STDIN },
      { name: "plugin, zod/mini config schema: ADD", file: files["zod/mini config schema"], env: ADD, stdin: STDIN },
      { name: "examples/noop: ADD", file: noop, env: ADD, stdin: STDIN },
    ];
    for (const c of cases) c.env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...c.env };
    const samples = new Map(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) for (const c of cases) samples.get(c.name).push(batch(c));
    const floor = median(samples.get(cases[0].name));
    const width = Math.max(...cases.map((c) => c.name.length));
    const load = loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(`${ROUNDS} interleaved batches of ${BATCH} execs per case, median of batch means; node ${process.version}; ${cpus().length} CPUs, load average ${load}`);
    console.log(`${"case".padEnd(width)}  CPU ms  vs floor`);
    for (const c of cases) {
      const m = median(samples.get(c.name));
      console.log(`${c.name.padEnd(width)}  ${m.toFixed(2).padStart(6)}  ${(m / floor).toFixed(2).padStart(7)}x`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
