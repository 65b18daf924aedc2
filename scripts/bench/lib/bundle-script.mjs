// A plugin bundled for a benchmark as `npm run build` bundles one (esbuild, minified CommonJS from the packages'
// TypeScript sources, a #! line, mode 0755): from an entry file, or from source text resolved in the repository.
import { chmodSync } from "node:fs";
import { resolve } from "node:path";
import * as esbuild from "esbuild";

const root = resolve(import.meta.dirname, "../../..");

/** `{ entry }` or `{ contents }`; `plugins` are esbuild plugins (a benchmark's variant of the code). */
export async function bundleScript({ entry, contents, outfile, plugins = [] }) {
  await esbuild.build({
    ...(entry !== undefined ? { entryPoints: [entry] } : { stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "entry.ts" } }),
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    conditions: ["source"],
    legalComments: "none",
    logLevel: "error",
    banner: { js: "#!/usr/bin/env node" },
    plugins,
  });
  chmodSync(outfile, 0o755);
}
