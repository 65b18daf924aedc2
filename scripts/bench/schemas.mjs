// What a plugin's config schema costs, zod against zod/mini: the same three-key schema
// (an int with a minimum and a default, an optional string, an optional boolean) in
// minimal plugins bundled as `npm run build` bundles (esbuild, minified CommonJS), then
// bundle size and CPU time (user+sys) per exec of VERSION and ADD, against a plugin
// with no schema. "lazy" builds the schema on first use (lazySchema), "eager" at load.
// The numbers docs/guide/config-schemas.md quotes come from this table.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleScript } from "./lib/bundle-script.mjs";
import { cpuMsPerExec, median, printTable } from "./lib/measure.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 20);
const STDIN = JSON.stringify({ cniVersion: "1.1.0", name: "bench", type: "bench", mtu: 1400 });
const ADD = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "bench", CNI_NETNS: "/var/run/netns/tscni-bench-never-created", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" };
const VERSION = { CNI_COMMAND: "VERSION" };

const HANDLERS = `add: ({ ifName, netns }) => ({ interfaces: [{ name: ifName, sandbox: netns }], ips: [{ interface: 0, address: "169.254.0.2/16" }] }), del: () => {}`;
const ZOD = `z.object({ mtu: z.int().min(576).default(1500), bridge: z.string().optional(), hairpin: z.boolean().optional() })`;
const MINI = `z.object({ mtu: z._default(z.int().check(z.minimum(576)), 1500), bridge: z.optional(z.string()), hairpin: z.optional(z.boolean()) })`;
const ENTRIES = {
  "no schema": `import { pluginMain } from "@tscni/skel"; void pluginMain({ ${HANDLERS} });`,
  "zod/mini, lazy": `import * as z from "zod/mini"; import { lazySchema, pluginMain } from "@tscni/skel";
    void pluginMain({ ${HANDLERS}, config: lazySchema(() => ${MINI}) });`,
  "zod, lazy": `import * as z from "zod"; import { lazySchema, pluginMain } from "@tscni/skel";
    void pluginMain({ ${HANDLERS}, config: lazySchema(() => ${ZOD}) });`,
  "zod, eager": `import * as z from "zod"; import { pluginMain } from "@tscni/skel";
    void pluginMain({ ${HANDLERS}, config: ${ZOD} });`,
};

export default async function bench() {
  const work = mkdtempSync(join(tmpdir(), "tscni-bench-schemas-"));
  try {
    const files = {};
    for (const [name, contents] of Object.entries(ENTRIES)) {
      const file = join(work, name.replace(/\W+/g, "-"));
      await bundleScript({ contents, outfile: file });
      files[name] = file;
    }
    const env = (extra) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra });
    const cases = Object.keys(ENTRIES).flatMap((name) => [
      { name, verb: "VERSION", argv: [files[name]], env: env(VERSION) },
      { name, verb: "ADD", argv: [files[name]], env: env(ADD) },
    ]);
    const samples = new Map(cases.map((c) => [`${c.name} ${c.verb}`, []]));
    // Interleaved round by round, so drift in the machine's load hits every case alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) samples.get(`${c.name} ${c.verb}`).push(cpuMsPerExec(c.argv, c.env, STDIN, BATCH));
    }
    const ms = (name, verb) => median(samples.get(`${name} ${verb}`));
    const base = { size: statSync(files["no schema"]).size, add: ms("no schema", "ADD") };
    console.log(`${ROUNDS} interleaved batches of ${BATCH} execs per case, median of batch means (CPU ms); node ${process.version}; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    printTable(
      ["plugin", "bundle KB", "+KB", "VERSION ms", "ADD ms", "ADD vs no schema"],
      Object.keys(ENTRIES).map((name) => {
        const size = statSync(files[name]).size;
        return [
          name,
          (size / 1024).toFixed(1),
          ((size - base.size) / 1024).toFixed(1),
          ms(name, "VERSION").toFixed(2),
          ms(name, "ADD").toFixed(2),
          `${(ms(name, "ADD") / base.add).toFixed(2)}x`,
        ];
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
