#!/usr/bin/env node
// Writes deploy/kubernetes/*.yaml from deploy/kubernetes/manifests.ts (through render.ts).
// Plain JS cannot import TypeScript, so render.ts is bundled first (esbuild, like build.mjs does
// for @tscni/bundle) to a private file, imported, and removed.
import { build } from "esbuild";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const dir = join(root, "deploy", "kubernetes");
const tmp = join(root, "dist", ".build", `render-kubernetes-${process.pid}.mjs`);
await mkdir(join(root, "dist", ".build"), { recursive: true });
try {
  await build({ entryPoints: [join(dir, "render.ts")], outfile: tmp, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "error" });
  const { renderAll } = await import(pathToFileURL(tmp).href);
  for (const [name, text] of Object.entries(renderAll())) {
    await writeFile(join(dir, name), text);
    console.log(`wrote deploy/kubernetes/${name}`);
  }
} finally {
  await rm(tmp, { force: true });
}
