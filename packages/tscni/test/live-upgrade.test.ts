/**
 * Live upgrade: three loops exec every installed plugin the way a runtime does
 * (VERSION of each, a real host-local ADD and DEL into a temp data dir) while
 * 20 `tscni install` runs alternate between two builds and between the script
 * bundle and SEA forms. Every exec must succeed and answer as one of the two
 * builds. Temp dirs stand in for /opt/cni/bin and /etc/cni/net.d.
 *
 * Every transition runs under full load, the switch from script bundles to
 * the SEA too: in the bundle form each plugin's name is a launcher of a script
 * stored under a name made from its content (bundle-store.ts), so Node never
 * opens a path that the upgrade has meanwhile turned into a link to the SEA.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutables, buildSea } from "@tscni/bundle";
import { execPluginBinary } from "@tscni/netns/testkit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seaSkipReason } from "../../bundle/test/sea-support.js";
import { skipReason } from "../../../test/support/prereq.js";
import { bridgeConflist, distBin, repo, TSCNI, tscni } from "./helpers.js";

const PLUGINS = ["bridge", "host-local", "loopback"] as const;
const INSTALLS = 20;
const skip = skipReason({ executables: [TSCNI, ...PLUGINS.map((p) => join(distBin, p))] }) ?? (await seaSkipReason());

interface Build {
  name: "A" | "B";
  bundleDir: string;
  sea: string;
}

describe.skipIf(skip)(`live upgrade${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let work: string;
  const builds: Build[] = [];
  /** plugin -> VERSION stdout -> build name. */
  const answers = new Map<string, Map<string, string>>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "tscni-upgrade-"));
    // A: the examples as built (the bundles of `npm run build`, a SEA of the same entries).
    // B: the same plugins from test/fixtures/build-b, which answer VERSION without 0.1.0.
    const entries = (build: "A" | "B", p: string) =>
      build === "A" ? join(repo, "examples", p, "src", "main.ts") : join(import.meta.dirname, "fixtures", "build-b", `${p}.ts`);
    const bBundles = join(work, "build-b");
    mkdirSync(bBundles);
    const built = await buildExecutables(PLUGINS.map((p) => ({ entry: entries("B", p), outFile: join(bBundles, p), absWorkingDir: repo, codeCache: true })));
    for (const r of built) if (r.status === "rejected") throw r.reason;
    for (const name of ["A", "B"] as const) {
      mkdirSync(join(work, `sea-${name}`));
      builds.push({ name, bundleDir: name === "A" ? distBin : bBundles, sea: join(work, `sea-${name}`, "tscni-plugins") });
    }
    // V8's own code cache: no warm-up runs at build time (startup speed is not what this test is about).
    await Promise.all(
      builds.map((b) => buildSea({ applets: Object.fromEntries(PLUGINS.map((p) => [p, entries(b.name, p)])), outFile: b.sea, absWorkingDir: repo, links: false, startup: "code-cache" })),
    );
    for (const p of PLUGINS) {
      const byAnswer = new Map<string, string>();
      for (const b of builds) {
        for (const [binary, argv0] of [[join(b.bundleDir, p), undefined], [b.sea, p]] as const) {
          const r = await execPluginBinary({ binary: argv0 ? linkAs(b, p) : binary, command: "VERSION", config: { cniVersion: "1.1.0" } });
          expect(r.exitCode, r.stderr).toBe(0);
          expect(byAnswer.get(r.stdout) ?? b.name).toBe(b.name);
          byAnswer.set(r.stdout, b.name);
        }
      }
      expect(new Set(byAnswer.values()).size).toBe(2);
      answers.set(p, byAnswer);
    }
  }, 240_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A SEA dispatches on the name it is exec'd as: a link named after the plugin. */
  function linkAs(b: Build, plugin: string): string {
    const dir = join(work, `links-${b.name}`);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, plugin))) symlinkSync(b.sea, join(dir, plugin));
    return join(dir, plugin);
  }

  test(`${INSTALLS} installs alternating two builds and --form bundle/sea under three exec loops: zero failed execs`, { timeout: 600_000 }, async () => {
    const bin = join(work, "opt-cni-bin");
    const conf = join(work, "etc-cni-net.d");
    const dataDir = join(work, "ipam");
    const conflist = bridgeConflist(dataDir);
    const plan = Array.from({ length: INSTALLS }, (_, i) => ({ build: builds[i % 2]!, form: Math.floor(i / 2) % 2 ? "sea" : "bundle" }));
    const install = (step: (typeof plan)[number]) =>
      tscni(["install", "--bin-dir", bin, "--conf-dir", conf, "--conf-json", conflist, "--form", step.form, "--from", step.build.bundleDir, "--sea", step.build.sea]);
    const first = await install(plan[0]!);
    expect(first.code, first.stderr).toBe(0);

    let installing = true;
    /** Set while an install switches from bundles to the SEA: execs started then are counted. */
    let switching = false;
    let duringSwitch = 0;
    const exec = (o: Parameters<typeof execPluginBinary>[0]) => {
      if (switching) duringSwitch++;
      return execPluginBinary(o);
    };
    const seen: string[] = [];
    const failures: string[] = [];
    const ipam = { cniVersion: "1.1.0", name: "upgrade", type: "host-local", ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "169.254.86.0/24" }]] } };
    const loop = async (n: number) => {
      for (let i = 0; installing; i++) {
        for (const p of PLUGINS) {
          const r = await exec({ binary: join(bin, p), command: "VERSION", config: { cniVersion: "1.1.0" } });
          const which = answers.get(p)!.get(r.stdout);
          if (r.exitCode === 0 && which) seen.push(which);
          else failures.push(`${p} VERSION: exit ${r.exitCode} ${r.stdout.trim()} ${r.stderr.trim().slice(0, 300)}`);
        }
        const call = { binary: join(bin, "host-local"), config: ipam, containerId: `upgrade-${n}-${i}`, netns: "/var/run/netns/tscni-upgrade-unused" };
        const add = await exec({ ...call, command: "ADD" });
        if (add.exitCode !== 0 || !(add.json as { ips?: unknown[] } | undefined)?.ips?.length) failures.push(`host-local ADD: exit ${add.exitCode} ${add.stdout.trim()} ${add.stderr.trim().slice(0, 300)}`);
        const del = await exec({ ...call, command: "DEL" });
        if (del.exitCode !== 0) failures.push(`host-local DEL: exit ${del.exitCode} ${del.stdout.trim()} ${del.stderr.trim().slice(0, 300)}`);
        // Three loops flat out would hold both of CI's cores and starve the installs they are meant to overlap.
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const installer = (async () => {
      try {
        for (const [i, step] of plan.entries()) {
          if (i === 0) continue;
          switching = step.form === "sea" && plan[i - 1]!.form === "bundle";
          const r = await install(step);
          switching = false;
          if (r.code !== 0) failures.push(`install ${step.build.name} ${step.form}: ${r.stderr.trim()}`);
        }
      } finally {
        installing = false;
      }
    })();
    await Promise.all([installer, loop(0), loop(1), loop(2)]);
    console.log(
      `live upgrade: ${seen.length} VERSION execs (${seen.filter((s) => s === "A").length} A, ${seen.filter((s) => s === "B").length} B), ` +
        `${failures.length} failed, during ${INSTALLS - 1} installs; ${duringSwitch} execs started while one switched from bundles to the SEA`,
    );
    expect(failures).toEqual([]);
    expect(duringSwitch).toBeGreaterThan(0);
    // The execs overlapped the upgrades: both builds answered.
    expect(new Set(seen)).toEqual(new Set(["A", "B"]));
    // The last install (B, sea) left links to the multi-call binary; the bundle form's scripts stay retired in
    // the store for a minute, in case an exec started before the switch has yet to open one.
    expect(readdirSync(bin).sort()).toEqual([".tscni-bundles", ".tscni-installed.json", ...PLUGINS, "tscni-plugins"].sort());
  });

  test("--form sea: links to one multi-call binary, a rerun changes nothing, uninstall removes links and binary", { timeout: 120_000 }, async () => {
    const bin = join(work, "sea-bin");
    const conf = join(work, "sea-conf");
    const args = ["--bin-dir", bin, "--conf-dir", conf, "--conf-json", bridgeConflist(join(work, "sea-ipam")), "--form", "sea", "--from", builds[1]!.bundleDir, "--sea", builds[1]!.sea];
    const first = await tscni(["install", ...args]);
    expect(first.code, first.stderr).toBe(0);
    for (const p of PLUGINS) expect(readlinkSync(join(bin, p))).toBe("tscni-plugins");
    const before = Object.fromEntries(readdirSync(bin).map((n) => [n, lstatSync(join(bin, n)).mtimeMs]));
    const again = await tscni(["install", ...args]);
    expect(again.stdout.trim()).toBe("install done: everything already in place");
    expect(Object.fromEntries(readdirSync(bin).map((n) => [n, lstatSync(join(bin, n)).mtimeMs]))).toEqual(before);
    const r = await tscni(["uninstall", "--bin-dir", bin, "--conf-dir", conf]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(bin)).toEqual([]);
    expect(readdirSync(conf)).toEqual([]);
  });
});
