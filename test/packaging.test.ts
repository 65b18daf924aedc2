/**
 * What a plugin author gets from the registry: the library build (scripts/build-lib.mjs) packed with `npm pack`,
 * installed into a project outside the workspace, imported WITHOUT the "source" condition, bundled with esbuild,
 * exec'ed the way a runtime execs a plugin, and type-checked against the shipped .d.ts files. Inside the monorepo
 * everything resolves to src/ and would never notice a missing or broken dist/.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "tscni-packaging-"));
const app = join(work, "app");
const PACKED = ["types", "version", "skel"] as const;

/** The plugin an author would write after `npm install @tscni/skel zod`. */
const PLUGIN = `import { definePlugin, lazySchema, pluginMain } from "@tscni/skel";
import * as z from "zod/mini";

const plugin = definePlugin({
  versions: ["0.4.0", "1.0.0", "1.1.0"],
  about: "packaging probe v1",
  config: lazySchema(() => z.object({ gateway: z.string() })),
  add: ({ config, ifName }) => ({
    interfaces: [{ name: ifName }],
    ips: [{ address: "169.254.7.2/24", gateway: config.gateway, interface: 0 }],
  }),
  del: () => {},
});

void pluginMain(plugin);
`;

/** Compiles only if the shipped .d.ts carry real types: each @ts-expect-error must meet an error. */
const TYPED = `import { definePlugin, lazySchema, CniError, ErrorCode, type CmdArgs } from "@tscni/skel";
import { runPlugin, type InProcessRun } from "@tscni/skel/testing";
import { ALL_VERSIONS } from "@tscni/version";
import type { Result } from "@tscni/types";
import * as z from "zod/mini";

const typed = definePlugin({
  config: lazySchema(() => z.object({ mtu: z.number() })),
  add: (args) => {
    const mtu: number = args.config.mtu;
    // @ts-expect-error the config schema's output type reaches the handler: mtu is a number
    const wrong: string = args.config.mtu;
    const cniVersion: string = args.config.cniVersion;
    return { interfaces: [{ name: args.ifName, mtu }], cniVersion, wrong } as unknown as Result;
  },
  del: (args: CmdArgs<{ mtu: number }>) => {
    if (args.config.mtu < 0) throw new CniError(ErrorCode.InvalidNetworkConfig, "mtu must not be negative");
  },
});

definePlugin({
  // @ts-expect-error ips is an array of IP configs, not a string
  add: () => ({ ips: "169.254.7.2/24" }),
  del: () => {},
});

const versions: readonly string[] = ALL_VERSIONS;
export const run: Promise<InProcessRun> = runPlugin(typed, { env: { CNI_COMMAND: "VERSION" }, stdin: { versions } });
`;

/** `env -i` finds node through its default search path; add PATH only when node lives elsewhere. */
const nodeDir = dirname(process.execPath);
const bareEnv = ["/bin", "/usr/bin"].includes(nodeDir) ? [] : [`PATH=${nodeDir}`];

function execBundle(binary: string, vars: Record<string, string>, stdin: string) {
  const env = [...bareEnv, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  const r = spawnSync("env", ["-i", ...env, process.execPath, binary], { input: stdin, encoding: "utf8", timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A child env without the workspace's npm settings, so npm in the temp project acts as it would for a user. */
/** Bundles the probe plugin in the consumer project; returns the output and which @tscni files went into it. */
async function bundleProbe(name: string, conditions: string[]): Promise<{ outfile: string; tscniInputs: string[] }> {
  writeFileSync(join(app, "plugin.ts"), PLUGIN);
  const outfile = join(app, "out", name);
  const built = await build({
    absWorkingDir: app,
    entryPoints: ["plugin.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions,
    metafile: true,
    logLevel: "silent",
  });
  const tscniInputs = Object.keys(built.metafile.inputs).filter((p) => p.includes("@tscni/"));
  expect(tscniInputs.length).toBeGreaterThan(5);
  return { outfile, tscniInputs };
}

function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return env;
}

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, env: npmEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
}

function manifest(pkg: string) {
  return JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
}

/** Every path a manifest's exports (bar the "source" condition) and bin promise. */
function promised(m: { exports?: unknown; bin?: string | Record<string, string> }) {
  const files: string[] = [];
  const walk = (node: unknown, condition: string | undefined): void => {
    if (typeof node === "string") {
      if (condition !== "source") files.push(node);
    } else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) walk(v, k.startsWith(".") ? condition : k);
    }
  };
  walk(m.exports, undefined);
  const bins = typeof m.bin === "string" ? [m.bin] : Object.values(m.bin ?? {});
  return { files, bins };
}

/** A plugin author's strict tsconfig: no "source" condition and no skipLibCheck, so the shipped .d.ts are checked. */
function consumerTsconfig(files: string[]): string {
  const compilerOptions = {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    // @types/node is the workspace's: the temp projects install only what a plugin needs at run time.
    typeRoots: [join(root, "node_modules", "@types")],
    types: ["node"],
  };
  return JSON.stringify({ compilerOptions, files });
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts", "build-lib.mjs")], { cwd: root, stdio: "pipe", timeout: 180_000 });
  // Just built: each package's prepack would run build-lib again.
  npm(["pack", "--ignore-scripts", ...PACKED.map((p) => `./packages/${p}`), "--pack-destination", work, "--silent"], root);
  mkdirSync(app);
  const deps = Object.fromEntries(PACKED.map((p) => [`@tscni/${p}`, `file:../tscni-${p}-${manifest(p).version}.tgz`]));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "packaging-probe", private: true, type: "module", dependencies: deps }));
  // zod comes from the local npm cache; --prefer-offline only reaches the registry if the cache lacks it.
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], app);
}, 420_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("library build", () => {
  it("produces every exports and bin path of every package, bins executable with a shebang", () => {
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")));
    expect(packages.length).toBeGreaterThanOrEqual(10);
    for (const pkg of packages) {
      const m = manifest(pkg);
      expect(m.files, pkg).toEqual(expect.arrayContaining(["dist", "src", "README.md"]));
      const { files, bins } = promised(m);
      expect(files.length, pkg).toBeGreaterThanOrEqual(2);
      for (const f of [...files, ...bins]) expect(existsSync(join(root, "packages", pkg, f)), `${pkg}: ${f}`).toBe(true);
      for (const b of bins) {
        const path = join(root, "packages", pkg, b);
        accessSync(path, constants.X_OK);
        expect(readFileSync(path, "utf8").startsWith("#!/usr/bin/env node\n"), `${pkg}: ${b}`).toBe(true);
      }
    }
  });

  it("every package is publishable: one version for all, Apache-2.0, repository, engines, keywords, public", () => {
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")));
    const versions = new Set(packages.map((pkg) => manifest(pkg).version as string));
    expect([...versions]).toHaveLength(1);
    for (const pkg of packages) {
      const m = manifest(pkg);
      expect(m.private, pkg).toBeUndefined();
      expect(m.license, pkg).toBe("Apache-2.0");
      expect(m.repository?.directory, pkg).toBe(`packages/${pkg}`);
      expect(m.engines?.node, pkg).toMatch(/^>=20/);
      expect(m.keywords?.length, pkg).toBeGreaterThan(0);
      expect(m.scripts?.prepack, pkg).toBe("node ../../scripts/build-lib.mjs");
      for (const [dep, range] of Object.entries({ ...m.dependencies, ...m.peerDependencies } as Record<string, string>)) {
        if (dep.startsWith("@tscni/")) expect(range, `${pkg} -> ${dep}`).toBe(m.version);
      }
      expect(existsSync(join(root, "packages", pkg, "README.md")), pkg).toBe(true);
    }
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toContain("Apache License");
  });

  it("links the workspace's bins into node_modules/.bin (npm ci links none: dist did not exist yet), and they run", () => {
    for (const bin of ["cnitool", "cni-bundle", "cni-conformance", "create-tscni", "tscni"]) {
      const link = join(root, "node_modules", ".bin", bin);
      expect(relative(root, realpathSync(link)), bin).toMatch(/^packages\/[\w-]+\/dist\/cli\.js$/);
      const r = spawnSync(link, ["--help"], { encoding: "utf8", timeout: 30_000 });
      expect(r.status, `${bin} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr, bin).toMatch(/usage/i);
    }
  });

  it("npm publish --dry-run is clean for every package: no manifest field npm would correct, every promised file in", async () => {
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")));
    const runs = await Promise.all(
      packages.map(
        (pkg) =>
          new Promise<{ pkg: string; code: number | null; out: string; err: string }>((done) => {
            const child = execFile("npm", ["publish", "--dry-run", "--ignore-scripts", "--json"], { cwd: join(root, "packages", pkg), env: npmEnv(), timeout: 60_000 }, (e, out, err) =>
              done({ pkg, code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
            );
            child.stdin?.end();
          }),
      ),
    );
    for (const { pkg, code, out, err } of runs) {
      expect(code, `${pkg}: ${err}`).toBe(0);
      // A dry run without a login warns that it would need one; anything else npm warns about is a defect here.
      const warnings = err.split("\n").filter((l) => /\bwarn\b/i.test(l) && !/requires you to be logged in/.test(l));
      expect(warnings, pkg).toEqual([]);
      // npm 11 keys the report by package name (older npm: an array of one).
      const parsed = JSON.parse(out) as Record<string, { files: { path: string }[] }>;
      const report = Object.values(parsed)[0]!;
      const files = report.files.map((f) => f.path);
      const { files: promisedFiles, bins } = promised(manifest(pkg));
      for (const p of [...promisedFiles, ...bins]) expect(files, `${pkg}: ${p}`).toContain(p.replace(/^\.\//, ""));
      for (const f of ["README.md", "LICENSE", "package.json"]) expect(files, pkg).toContain(f);
    }
  }, 120_000);

  it("packs dist, src and README into the tarball, and no tests", () => {
    const listing = execFileSync("tar", ["-tzf", join(work, `tscni-skel-${manifest("skel").version}.tgz`)], { encoding: "utf8" }).split("\n");
    expect(listing).toEqual(
      expect.arrayContaining(["package/dist/index.js", "package/dist/index.d.ts", "package/dist/testing.js", "package/src/index.ts", "package/README.md"]),
    );
    expect(listing.filter((f) => f.startsWith("package/test/"))).toEqual([]);
  });
});

describe("every package's dist, resolved by package name without the source condition", () => {
  /** "@tscni/netns/testkit" etc.: every subpath every package exports. */
  function entryPoints(): string[] {
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")));
    return packages.flatMap((pkg) => Object.keys(manifest(pkg).exports ?? {}).map((sub) => join(manifest(pkg).name, sub)));
  }

  it("imports in plain node", () => {
    const specifiers = entryPoints();
    expect(specifiers).toContain("@tscni/netns/testkit");
    const script = `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)).length;
      console.log(JSON.stringify(out));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env: npmEnv(), encoding: "utf8" });
    const exportCounts = JSON.parse(out) as Record<string, number>;
    for (const s of specifiers) expect(exportCounts[s], s).toBeGreaterThan(0);
  });

  it("type-checks from the emitted .d.ts (no skipLibCheck)", () => {
    const dir = join(work, "all");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "all-entry-points", private: true, type: "module" }));
    const lines = entryPoints().map((s, i) => `import * as m${i} from "${s}";\nexport const n${i}: number = Object.keys(m${i}).length;`);
    writeFileSync(join(dir, "probe.ts"), lines.join("\n") + "\n");
    writeFileSync(join(dir, "tsconfig.json"), consumerTsconfig(["probe.ts"]));
    // The workspace's node_modules, where @tscni/* link to packages/*: without customConditions tsc follows "types".
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", dir, "--listFiles"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    const errors = r.stdout.split("\n").filter((l) => !l.startsWith("/"));
    expect(errors.join("\n").trim()).toBe("");
    expect(r.status).toBe(0);
    const ours = r.stdout.split("\n").filter((f) => f.startsWith(join(root, "packages")));
    expect(ours.length).toBeGreaterThan(50);
    for (const f of ours) expect(relative(root, f)).toMatch(/^packages\/[\w-]+\/dist\/.+\.d\.ts$/);
  });
});

describe("installed from tarballs, outside the workspace", () => {
  it("imports every entry point in plain node (no source condition)", () => {
    const script = `const s = await import("@tscni/skel"); const t = await import("@tscni/skel/testing");
      const v = await import("@tscni/version"); const ty = await import("@tscni/types");
      console.log(JSON.stringify([typeof s.pluginMain, typeof t.runPlugin, v.ALL_VERSIONS.length > 0, typeof ty.parseResult,
        import.meta.resolve("@tscni/skel")]));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, env: npmEnv(), encoding: "utf8" });
    const [main, runner, versions, parse, resolved] = JSON.parse(out) as [string, string, boolean, string, string];
    expect([main, runner, versions, parse]).toEqual(["function", "function", true, "function"]);
    expect(resolved).toMatch(/\/node_modules\/@tscni\/skel\/dist\/index\.js$/);
  });

  it("bundles a plugin with esbuild (no conditions) from dist only, which answers VERSION and ADD under env -i", async () => {
    const { outfile, tscniInputs } = await bundleProbe("plugin.mjs", []);
    for (const input of tscniInputs) expect(input).toMatch(/^node_modules\/@tscni\/(types|version|skel)\/dist\/.+\.js$/);

    const version = execBundle(outfile, { CNI_COMMAND: "VERSION" }, `{"cniVersion":"1.0.0"}`);
    expect(version.stderr).toBe("");
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] });

    const conf = JSON.stringify({ cniVersion: "1.0.0", name: "probe", type: "probe", gateway: "169.254.7.1" });
    const addVars = {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "packaging-probe",
      // Never stat'ed into: the plugin configures nothing, and a missing path passes skel's own-netns guard.
      CNI_NETNS: `/var/run/netns/tscni-packaging-absent-${process.pid}`,
      CNI_IFNAME: "eth0",
      CNI_PATH: "/nonexistent",
    };
    const add = execBundle(outfile, addVars, conf);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0" }],
      ips: [{ address: "169.254.7.2/24", gateway: "169.254.7.1", interface: 0 }],
    });

    // The config schema runs from the bundle: a missing field is a CNI error on stdout, exit 1, no stack trace.
    const bad = execBundle(outfile, addVars, JSON.stringify({ cniVersion: "1.0.0", name: "probe", type: "probe" }));
    expect(bad.code).toBe(1);
    const error = JSON.parse(bad.stdout) as { code: number; details: string };
    expect(error.code).toBe(7);
    expect(error.details).toContain("gateway");
    expect(bad.stdout).not.toMatch(/\n\s+at /);
  });

  it("bundles from the shipped src/ under the source condition, as cni-bundle does", async () => {
    const { outfile, tscniInputs } = await bundleProbe("plugin-from-source.mjs", ["source"]);
    for (const input of tscniInputs) expect(input).toMatch(/^node_modules\/@tscni\/(types|version|skel)\/src\/.+\.ts$/);
    const version = execBundle(outfile, { CNI_COMMAND: "VERSION" }, `{"cniVersion":"0.4.0"}`);
    expect(version.code, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout)).toEqual({ cniVersion: "0.4.0", supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] });
  });

  it("type-checks a typed plugin against the shipped .d.ts files (tsc, no source condition, no skipLibCheck)", () => {
    writeFileSync(join(app, "typed.ts"), TYPED);
    writeFileSync(join(app, "tsconfig.json"), consumerTsconfig(["plugin.ts", "typed.ts"]));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", app], { cwd: app, encoding: "utf8", timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    // Proves tsc read the installed dist declarations, not sources found some other way.
    const listed = spawnSync(process.execPath, [tsc, "-p", app, "--listFilesOnly"], { cwd: app, encoding: "utf8" }).stdout;
    const ours = listed.split("\n").filter((f) => f.includes("/@tscni/")).map((f) => relative(app, f));
    expect(ours).toContain("node_modules/@tscni/skel/dist/index.d.ts");
    expect(ours).toContain("node_modules/@tscni/skel/dist/testing.d.ts");
    for (const f of ours) expect(f).toMatch(/^node_modules\/@tscni\/(types|version|skel)\/dist\/.+\.d\.ts$/);
  });
});
