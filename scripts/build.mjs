#!/usr/bin/env node
// Bundles every example plugin (examples/<name>/src/main.ts) and every CLI
// (packages/<pkg>/src/cli.ts, named by the package's "bin") into dist/bin/:
// one self-contained CommonJS file each, with a shebang and mode 0755.
// Written to a temporary file and renamed, so a test exec'ing a binary while
// another build runs never sees a half-written file.
import { build } from "esbuild";
import { chmod, mkdir, readdir, readFile, rename, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const outDir = join(root, "dist", "bin");

async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function targets() {
  const out = [];
  for (const name of (await readdir(join(root, "examples"))).sort()) {
    const entry = join(root, "examples", name, "src", "main.ts");
    if (await exists(entry)) out.push({ name, entry });
  }
  for (const pkg of (await readdir(join(root, "packages"))).sort()) {
    const entry = join(root, "packages", pkg, "src", "cli.ts");
    if (!(await exists(entry))) continue;
    const manifest = JSON.parse(await readFile(join(root, "packages", pkg, "package.json"), "utf8"));
    for (const name of Object.keys(manifest.bin ?? { [pkg]: "" })) out.push({ name, entry });
  }
  return out;
}

export async function buildAll({ quiet = false } = {}) {
  await mkdir(outDir, { recursive: true });
  const list = await targets();
  const results = await Promise.allSettled(
    list.map(async ({ name, entry }) => {
      const dest = join(outDir, name);
      const tmp = `${dest}.tmp-${process.pid}`;
      await build({
        entryPoints: [entry],
        outfile: tmp,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        minify: true,
        conditions: ["source"],
        banner: { js: "#!/usr/bin/env node" },
        legalComments: "none",
        logLevel: "error",
      });
      await chmod(tmp, 0o755);
      await rename(tmp, dest);
    }),
  );
  // Every target is attempted, so one broken plugin does not hide the others' builds.
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${list[i].name}: ${r.reason?.message ?? r.reason}`] : []));
  if (failed.length) throw new Error(`build failed for ${failed.length} of ${list.length}:\n${failed.join("\n")}`);
  if (!quiet) console.log(`built ${list.length} executables in ${outDir}: ${list.map((t) => t.name).join(", ")}`);
  return list;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await buildAll();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
