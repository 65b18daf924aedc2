#!/usr/bin/env node
// `npm run bench`: runs every benchmark in scripts/bench/*.mjs in turn (each
// prints its own table) after the build. Benchmarks measure; they never pass or fail
// on timing. NODE_EXTRA_CA_CERTS is removed from the environment of every Node
// child: on these machines it adds ~70 ms to each Node start.
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

delete process.env.NODE_EXTRA_CA_CERTS;
const dir = resolve(import.meta.dirname, "bench");
const only = process.argv.slice(2);
for (const file of (await readdir(dir)).filter((f) => f.endsWith(".mjs")).sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n=== ${file} ===`);
  const mod = await import(pathToFileURL(join(dir, file)).href);
  if (typeof mod.default === "function") await mod.default();
}
