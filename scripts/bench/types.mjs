// What @tscni/types and @tscni/version cost a plugin: exec latency of small
// CJS bundles that do one typical job each (against `node -e 0`, the floor),
// and an empty script, which is the real floor for a bundle: loading a file
// costs ~10-15 ms more than -e here), and in-process time per call of the
// result functions. Cases are interleaved
// round by round; medians are reported.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";

const root = resolve(import.meta.dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

const RICH = JSON.stringify({
  cniVersion: "1.1.0",
  interfaces: [{ name: "eth0", mac: "00:11:22:33:44:55", mtu: 1500, sandbox: "/var/run/netns/x" }],
  ips: [{ interface: 0, address: "169.254.1.5/16", gateway: "169.254.0.1" }, { interface: 0, address: "fd00::5/64" }],
  routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1" }, { dst: "::/0" }],
  dns: { nameservers: ["169.254.0.53"] },
});

const ENTRIES = {
  // Running any file costs more than -e; this is the floor for a bundle.
  "empty script": ``,
  "CniError only": `import { CniError } from "@tscni/types"; new CniError(7, "x").toObject();`,
  "VERSION (version pkg)": `import { versionAnswer, versionsStartingFrom } from "@tscni/version";
    JSON.stringify(versionAnswer(versionsStartingFrom("0.1.0"), '{"cniVersion":"1.0.0"}'));`,
  "config + args + reconcile": `import { parseCniArgs } from "@tscni/types"; import { netConfSchema } from "@tscni/types/schemas";
    import { decodeConfigVersion, reconcile, versionsStartingFrom } from "@tscni/version";
    const stdin = '{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"type":"host-local"}}';
    reconcile(decodeConfigVersion(stdin), versionsStartingFrom("0.1.0"));
    netConfSchema().parse(JSON.parse(stdin)); parseCniArgs("IgnoreUnknown=1;K8S_POD_NAME=a");`,
  "parse + print a result": `import { parseResult, toCurrent } from "@tscni/types"; import { resultForVersion } from "@tscni/types/internal";
    JSON.stringify(resultForVersion(toCurrent(parseResult(${JSON.stringify(RICH)})), "0.4.0"));`,
};

const MICRO = `import { convertResult, parseResult } from "@tscni/types"; import { resultForVersion } from "@tscni/types/internal";
  const rich = ${RICH};
  const cases = {
    "parseResult (1.1.0)": () => parseResult(rich),
    "resultForVersion -> 1.0.0": () => resultForVersion(rich, "1.0.0"),
    "convertResult -> 0.4.0": () => convertResult(rich, "0.4.0"),
    "convertResult -> 0.2.0": () => convertResult(rich, "0.2.0"),
  };
  const out = {};
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < 2000; i++) fn();
    const runs = [];
    for (let r = 0; r < 7; r++) {
      const n = 5000, t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      runs.push(Number(process.hrtime.bigint() - t) / 1e3 / n);
    }
    runs.sort((a, b) => a - b);
    out[name] = runs[3];
  }
  console.log(JSON.stringify(out));`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function bundleTo(file, contents) {
  const r = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    platform: "node",
    format: "cjs",
    minify: true,
    metafile: true,
    outfile: file,
    conditions: ["source"],
    logLevel: "silent",
  });
  return Object.values(r.metafile.outputs)[0].bytes;
}

export default async function bench() {
  const dir = mkdtempSync(join(tmpdir(), "tscni-bench-types-"));
  try {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const cases = [{ name: "node -e 0", args: ["-e", "0"], bytes: 0 }];
    for (const [name, contents] of Object.entries(ENTRIES)) {
      const file = join(dir, `${cases.length}.cjs`);
      cases.push({ name, args: [file], bytes: await bundleTo(file, contents) });
    }
    const times = new Map(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const start = process.hrtime.bigint();
        const r = spawnSync(process.execPath, c.args, { env });
        if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr}`);
        times.get(c.name).push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    const floor = median(times.get("node -e 0"));
    console.log(`exec latency, median of ${ROUNDS} (ms)`);
    console.log(`${"case".padEnd(28)}${"bundle KB".padStart(10)}${"ms".padStart(8)}${"x floor".padStart(9)}`);
    for (const c of cases) {
      const ms = median(times.get(c.name));
      console.log(`${c.name.padEnd(28)}${(c.bytes / 1024).toFixed(1).padStart(10)}${ms.toFixed(1).padStart(8)}${(ms / floor).toFixed(2).padStart(9)}`);
    }

    const micro = join(dir, "micro.cjs");
    await bundleTo(micro, MICRO);
    const r = spawnSync(process.execPath, [micro], { env });
    if (r.status !== 0) throw new Error(`micro: ${r.stderr}`);
    console.log("\nin-process, median of 7 x 5000 calls (µs per call)");
    for (const [name, us] of Object.entries(JSON.parse(r.stdout.toString()))) console.log(`${name.padEnd(28)}${us.toFixed(2).padStart(8)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
