#!/usr/bin/env node
// Release chores for the published packages (packages/*), one version for all:
//
//   node scripts/release.mjs version 0.2.0   sets "version" of every package and every @tscni/* or create-tscni
//                                            dependency in packages/* and examples/* to 0.2.0 (exact)
//   node scripts/release.mjs pack [dir]      builds the library once (build-lib), then `npm pack`s every package
//                                            into dir (default dist/packages), the release artifact
//
// A package's own "prepack" builds too, so a lone `npm pack` in packages/<pkg> is complete; pack skips those
// scripts only because it has just built everything at once (build-lib compiles all packages in one program).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(2);
}

/** Directories of the published packages, in a stable order. */
export function publishedPackages() {
  return readdirSync(join(root, "packages"))
    .sort()
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")));
}

const isOurs = (name) => name.startsWith("@tscni/") || name === "create-tscni";

function setVersion(version) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) fail(`version ${JSON.stringify(version)} is not x.y.z[-pre]`);
  const dirs = [...publishedPackages(), ...readdirSync(join(root, "examples")).map((n) => join(root, "examples", n))];
  for (const dir of dirs) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    // Re-read right before writing: other tools edit these files too.
    const text = readFileSync(file, "utf8");
    const manifest = JSON.parse(text);
    if (dir.includes(`${join(root, "packages")}`)) manifest.version = version;
    for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
      for (const dep of Object.keys(manifest[field] ?? {})) if (isOurs(dep)) manifest[field][dep] = version;
    }
    const out = `${JSON.stringify(manifest, null, 2)}\n`;
    if (out !== text) writeFileSync(file, out);
  }
  process.stdout.write(`release: version ${version}; run npm install --offline to refresh package-lock.json\n`);
}

function packAll(dest) {
  const out = resolve(root, dest ?? join("dist", "packages"));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const built = spawnSync(process.execPath, [join(root, "scripts", "build-lib.mjs")], { stdio: "inherit" });
  if (built.status !== 0) fail("the library build failed (above), nothing packed");
  // One npm process for all packages: each npm start costs ~1 s, fifteen of them dominated pack:all.
  const dirs = publishedPackages().map((dir) => `./${relative(root, dir)}`);
  const packed = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", out, ...dirs], { cwd: root, encoding: "utf8" });
  if (packed.status !== 0) fail(`npm pack failed:\n${packed.stderr}`);
  const infos = JSON.parse(packed.stdout);
  for (const info of infos) {
    process.stdout.write(`${info.filename.padEnd(36)} ${String(info.size).padStart(8)} B packed, ${String(info.unpackedSize).padStart(9)} B unpacked, ${info.entryCount} files\n`);
  }
  process.stdout.write(`release: ${infos.length} tarballs in ${relative(root, out) || "."}\n`);
}

const [command, arg] = process.argv.slice(2);
if (command === "version") setVersion(arg ?? fail("usage: release.mjs version X.Y.Z"));
else if (command === "pack") packAll(arg);
else fail("usage: release.mjs version X.Y.Z | pack [dir]");
