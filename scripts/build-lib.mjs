#!/usr/bin/env node
// Library build: packages/<pkg>/src/**/*.ts -> packages/<pkg>/dist/**/*.{js,d.ts} (ESM, with source and
// declaration maps pointing into the shipped src/), which is what every package.json "exports" and "bin" promise
// to someone installing the package from a registry. Inside the monorepo nothing needs it (the "source"
// condition resolves to src/), so only publishing and test/packaging.test.ts run it.
//
// One TypeScript program for all packages: resolving sibling packages through the "source" condition means no
// build order and one type-check (a per-package tsc would re-check @tscni/types ten times). Emitted specifiers are
// never rewritten by tsc, so `@tscni/types` stays `@tscni/types`; checkSpecifiers() proves no emitted file
// reaches into another package by a relative path (declaration emit could otherwise invent one).
//
// Each package's dist is written beside it and swapped in by rename, so a reader never sees half a dist.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = join(root, "packages");
// A scratch outDir the program emits into; writeFile() maps every path out of it, so nothing is written there.
const scratchOut = join(root, ".build-lib-out");
const SHEBANG = "#!/usr/bin/env node\n";

function fail(message) {
  process.stderr.write(`build-lib: ${message}\n`);
  process.exit(1);
}

function listTs(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(p));
    else if (entry.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every file path a manifest promises: exports targets (except the "source" condition) and bin targets. */
function promisedPaths(manifest) {
  const out = [];
  const walk = (node, condition) => {
    if (typeof node === "string") {
      if (condition !== "source") out.push(node);
    } else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, key.startsWith(".") ? condition : key);
    }
  };
  walk(manifest.exports, undefined);
  const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
  return { files: out, bins };
}

function compilerOptions() {
  const read = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
  if (read.error) fail(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const base = ts.convertCompilerOptionsFromJson(read.config.compilerOptions, root);
  if (base.errors.length) fail(base.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  return {
    ...base.options,
    noEmit: false,
    declaration: true,
    declarationMap: true,
    sourceMap: true,
    rootDir: packagesDir,
    outDir: scratchOut,
    // The "source" condition is for resolution inside this program only; consumers resolve "types"/"default".
    customConditions: ["source"],
    incremental: false,
    composite: false,
  };
}

const packages = readdirSync(packagesDir).filter((name) => existsSync(join(packagesDir, name, "package.json")));
const manifests = new Map(packages.map((pkg) => [pkg, JSON.parse(readFileSync(join(packagesDir, pkg, "package.json"), "utf8"))]));
const rootNames = packages.flatMap((pkg) => listTs(join(packagesDir, pkg, "src")));

const started = performance.now();
const program = ts.createProgram({ rootNames, options: compilerOptions() });
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  fail(`type errors, nothing written:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

/** scratchOut/<pkg>/src/<rel> -> { pkg, rel } */
function locate(scratchPath) {
  const [pkg, src, ...rest] = relative(scratchOut, scratchPath).split(sep);
  if (!pkg || src !== "src" || rest.length === 0) fail(`unexpected output path ${scratchPath}`);
  return { pkg, rel: rest.join("/") };
}

const binTargets = new Set(
  packages.flatMap((pkg) => promisedPaths(manifests.get(pkg)).bins.map((b) => join(packagesDir, pkg, b))),
);

/** final path (packages/<pkg>/dist/<rel>) -> contents */
const outputs = new Map();
const emitted = program.emit(undefined, (scratchPath, text) => {
  const { pkg, rel } = locate(scratchPath);
  const finalPath = join(packagesDir, pkg, "dist", rel);
  if (finalPath.endsWith(".map")) {
    // tsc computed "sources" relative to the scratch dir; point them at the shipped src/ instead.
    const map = JSON.parse(text);
    const sourceFile = join(packagesDir, pkg, "src", rel.replace(/\.d\.ts\.map$|\.js\.map$/, ".ts"));
    map.sources = [relative(dirname(finalPath), sourceFile).split(sep).join("/")];
    delete map.sourceRoot;
    // The shebang prepended to a bin moves every generated line down by one.
    if (binTargets.has(finalPath.slice(0, -".map".length))) map.mappings = `;${map.mappings}`;
    text = JSON.stringify(map);
  } else if (binTargets.has(finalPath) && !text.startsWith("#!")) {
    text = SHEBANG + text;
  }
  outputs.set(finalPath, text);
});
if (emitted.emitSkipped || emitted.diagnostics.length) fail("emit failed");

/** Relative specifiers in an emitted file must stay inside its own package's dist. */
function checkSpecifiers(file, text) {
  const pkgDist = join(packagesDir, relative(packagesDir, file).split(sep)[0], "dist");
  for (const m of text.matchAll(/(?:from\s+|import\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = resolve(dirname(file), m[1]);
    if (!target.startsWith(pkgDist + sep)) fail(`${relative(root, file)} imports ${m[1]}, outside its package`);
    if (!outputs.has(target)) fail(`${relative(root, file)} imports ${m[1]}, which the build does not emit`);
  }
}
for (const [file, text] of outputs) if (/\.(js|d\.ts)$/.test(file)) checkSpecifiers(file, text);

/** Two builds at once (two test runs) may both swap; the loser moves the winner's dist aside and retries. */
function swapIn(fresh, dist, stale) {
  for (let attempt = 0; ; attempt++) {
    const aside = `${stale}-${attempt}`;
    try {
      if (existsSync(dist)) renameSync(dist, aside);
      renameSync(fresh, dist);
      rmSync(aside, { recursive: true, force: true });
      return;
    } catch (e) {
      rmSync(aside, { recursive: true, force: true });
      if (attempt >= 5 || !["ENOTEMPTY", "EEXIST", "ENOENT"].includes(e.code)) throw e;
    }
  }
}

let fileCount = 0;
for (const pkg of packages) {
  const pkgDir = join(packagesDir, pkg);
  const fresh = join(pkgDir, `.dist-${process.pid}`);
  const stale = join(pkgDir, `.dist-old-${process.pid}`);
  rmSync(fresh, { recursive: true, force: true });
  const distPrefix = join(pkgDir, "dist") + sep;
  for (const [file, text] of outputs) {
    if (!file.startsWith(distPrefix)) continue;
    const target = join(fresh, file.slice(distPrefix.length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    fileCount++;
  }
  const { files, bins } = promisedPaths(manifests.get(pkg));
  for (const bin of bins) chmodSync(join(fresh, relative("dist", bin)), 0o755);
  const missing = [...files, ...bins].filter((p) => !existsSync(join(fresh, relative("dist", p))));
  if (missing.length) fail(`packages/${pkg}/package.json promises ${missing.join(", ")}, which the build does not produce`);
  swapIn(fresh, join(pkgDir, "dist"), stale);
}

/**
 * The workspace's node_modules/.bin links for our bins. npm links a bin only if its target exists, and after
 * `npm ci` dist/ does not (nothing builds at install), so `npm ci && npm run build` would leave no cnitool,
 * cni-bundle or cni-conformance in node_modules/.bin. The links are npm's own shape (../<name>/<bin path>), and
 * made only for packages npm linked into node_modules, so a later npm install sees nothing to change.
 */
function linkWorkspaceBins() {
  const binDir = join(root, "node_modules", ".bin");
  let linked = 0;
  for (const pkg of packages) {
    const manifest = manifests.get(pkg);
    const installed = join(root, "node_modules", manifest.name);
    let target;
    try {
      target = realpathSync(installed);
    } catch {
      continue; // not installed in this workspace (a lone clone without npm ci)
    }
    if (target !== realpathSync(join(packagesDir, pkg))) continue;
    const bins = typeof manifest.bin === "string" ? { [manifest.name.replace(/^@[^/]+\//, "")]: manifest.bin } : (manifest.bin ?? {});
    for (const [name, path] of Object.entries(bins)) {
      const link = join(binDir, name);
      const want = join("..", manifest.name, path);
      let have;
      try {
        have = readlinkSync(link);
      } catch {
        // absent (or not a link: then symlinkSync below fails loudly, which is right)
      }
      if (have === want) continue;
      mkdirSync(binDir, { recursive: true });
      if (have !== undefined) rmSync(link, { force: true });
      try {
        symlinkSync(want, link);
        linked++;
      } catch (e) {
        // Another build linked it between our look and our link.
        if (e.code !== "EEXIST" || readlinkSync(link) !== want) throw e;
      }
    }
  }
  return linked;
}
const linkedBins = linkWorkspaceBins();

// The license text in every tarball: npm packs a package's own LICENSE whatever "files" says. Copies, not
// committed (packages/.gitignore); build-lib is every package's prepack, so a lone `npm pack` has it too.
const license = readFileSync(join(root, "LICENSE"), "utf8");
for (const pkg of packages) {
  const file = join(packagesDir, pkg, "LICENSE");
  if (!existsSync(file) || readFileSync(file, "utf8") !== license) writeFileSync(file, license);
}

const ms = Math.round(performance.now() - started);
const links = linkedBins ? `, ${linkedBins} bin links made in node_modules/.bin` : "";
process.stdout.write(`build-lib: ${packages.length} packages, ${fileCount} files in packages/*/dist${links} (${ms} ms)\n`);
