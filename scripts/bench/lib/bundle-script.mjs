// A plugin bundled for a benchmark as `npm run build` bundles one: @tscni/bundle's executableBuildOptions (the
// library build that `npm run bench` runs first), written out with a #! line and mode 0755; from an entry file,
// or from source text resolved in the repository.
import { chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(import.meta.dirname, "../../..");
const { executableBuildOptions } = await import(pathToFileURL(join(root, "packages/bundle/dist/index.js")).href);

/** `{ entry }` or `{ contents }`; `plugins` are esbuild plugins (a benchmark's variant of the code). */
export async function bundleScript({ entry, contents, outfile, plugins = [] }) {
  const base = executableBuildOptions();
  await esbuild.build({
    ...base,
    ...(entry !== undefined ? { entryPoints: [entry] } : { stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "entry.ts" } }),
    outfile,
    write: true,
    metafile: false,
    logLevel: "error",
    banner: { js: "#!/usr/bin/env node" },
    plugins: [...base.plugins, ...plugins],
  });
  chmodSync(outfile, 0o755);
}
