#!/usr/bin/env node
// Bundles every example plugin (examples/<name>/src/main.ts) and every CLI
// (packages/<pkg>/src/cli.ts, named by the package's "bin") into dist/bin/
// through @tscni/bundle: one self-contained CommonJS file each, with a shebang,
// mode 0755, written to a temporary file and renamed, so a test exec'ing a
// binary while another build runs never sees a half-written file.
//
//   node scripts/build.mjs          the plain bundles
//   node scripts/build.mjs --sea    and the SEA multi-call set: dist/sea/tscni-plugins
//                                   with one symlink per example plugin
//
// This script is plain JS and cannot import TypeScript, so it first bundles
// @tscni/bundle's API itself (esbuild, ~20 ms) to a private file and imports that:
// the build goes through the same code as `cni-bundle`.
import { build } from "esbuild";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const outDir = join(root, "dist", "bin");
const seaDir = join(root, "dist", "sea");
export const SEA_MULTICALL_NAME = "tscni-plugins";

async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** @tscni/bundle's API, bundled from its TypeScript sources for this process. */
export async function loadBundleApi() {
  const file = join(root, "dist", ".build", `bundle-api-${process.pid}-${Date.now()}.mjs`);
  await mkdir(join(root, "dist", ".build"), { recursive: true });
  try {
    await build({
      entryPoints: [join(root, "packages", "bundle", "src", "index.ts")],
      outfile: file,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      packages: "external",
      logLevel: "error",
    });
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(file, { force: true });
  }
}

async function targets() {
  const out = [];
  for (const name of (await readdir(join(root, "examples"))).sort()) {
    const entry = join(root, "examples", name, "src", "main.ts");
    if (await exists(entry)) out.push({ name, entry, plugin: true });
  }
  for (const pkg of (await readdir(join(root, "packages"))).sort()) {
    const entry = join(root, "packages", pkg, "src", "cli.ts");
    // create-tscni copies the templates that ship beside its dist/: a lone bundle of it could not find them.
    if (pkg === "create-tscni" || !(await exists(entry))) continue;
    const manifest = JSON.parse(await readFile(join(root, "packages", pkg, "package.json"), "utf8"));
    for (const name of Object.keys(manifest.bin ?? { [pkg]: "" })) out.push({ name, entry, plugin: false });
  }
  return out;
}

/**
 * The daemon-mode shim (packages/daemon/shim/shim.c): static C, built with the
 * system compiler to dist/bin/tscni-shim by temp file and rename. Without gcc it is
 * skipped with a message, except under CI=true, where the daemon tests need it.
 */
async function buildShim() {
  const sources = ["shim.c", "spawner.c"].map((f) => join(root, "packages", "daemon", "shim", f));
  const out = join(outDir, "tscni-shim");
  const tmp = `${out}.tmp-${process.pid}`;
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync("gcc", ["-static", "-Os", "-s", "-std=gnu11", "-Wall", "-Wextra", "-Wno-format-truncation", "-Werror", "-o", tmp, ...sources], { encoding: "utf8" });
  if (r.error?.code === "ENOENT" && process.env.CI !== "true") {
    console.error("tscni-shim skipped: gcc not found (install gcc and libc6-dev to build the daemon-mode shim)");
    return;
  }
  if (r.error || r.status !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`gcc failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  await rename(tmp, out);
}

export async function buildAll({ quiet = false, sea = false } = {}) {
  const api = await loadBundleApi();
  await mkdir(outDir, { recursive: true });
  // The repository's package.json says "type": "module"; without this, Node would
  // load the extensionless CommonJS bundles in dist/ as ESM.
  // Written once and by rename: a binary exec'd while another build runs must never read a truncated file.
  const scopeFile = join(root, "dist", "package.json");
  const scope = '{ "type": "commonjs" }\n';
  if ((await readFile(scopeFile, "utf8").catch(() => "")) !== scope) {
    await writeFile(`${scopeFile}.tmp-${process.pid}`, scope);
    await rename(`${scopeFile}.tmp-${process.pid}`, scopeFile);
  }
  const list = await targets();
  // One esbuild run for all script bundles (they share skel, types, zod); the SEA set alongside.
  // Plugins get a warm V8 code cache beside them (<name>.v8cache): same answers, ~4 ms less CPU per ADD.
  const scripts = api.buildExecutables(
    list.map(({ name, entry, plugin }) => ({ entry, outFile: join(outDir, name), absWorkingDir: root, requirePluginMain: plugin, codeCache: plugin })),
  );
  const jobs = list.map(({ name }) => ({ name }));
  const settled = [scripts];
  const plugins = list.filter((t) => t.plugin);
  if (sea && plugins.length) {
    jobs.push({ name: `sea:${SEA_MULTICALL_NAME}` });
    settled.push(
      mkdir(seaDir, { recursive: true })
        .then(() =>
          api.buildSea({
            applets: Object.fromEntries(plugins.map((t) => [t.name, t.entry])),
            outFile: join(seaDir, SEA_MULTICALL_NAME),
            absWorkingDir: root,
          }),
        )
        .then(
          (value) => [{ status: "fulfilled", value }],
          (reason) => [{ status: "rejected", reason }],
        ),
    );
  }
  jobs.push({ name: "tscni-shim" });
  settled.push(buildShim().then((value) => ({ status: "fulfilled", value }), (reason) => ({ status: "rejected", reason })));
  const results = (await Promise.all(settled)).flat();
  // Every target is attempted, so one broken plugin does not hide the others' builds.
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${jobs[i].name}: ${r.reason?.message ?? r.reason}`] : []));
  if (failed.length) throw new Error(`build failed for ${failed.length} of ${jobs.length}:\n${failed.join("\n")}`);
  if (!quiet) console.log(`built ${jobs.length} executables: ${jobs.map((j) => j.name).join(", ")}`);
  return list;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    await buildAll({ sea: process.argv.includes("--sea") });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
