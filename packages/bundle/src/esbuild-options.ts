import type { BuildOptions } from "esbuild";

/**
 * Packages that must never be inlined: esbuild locates its native binary next
 * to its own package, and postject carries a 4.8 MB wasm blob that only a SEA
 * build needs. Only build tools import them, never a plugin.
 */
export const NEVER_INLINED: readonly string[] = ["esbuild", "postject"];

/**
 * The one set of esbuild options every executable is built with.
 * CommonJS: Node 20 SEA needs a CJS main, and an empty CJS script starts ~13 ms
 * sooner than an ESM one. `source` resolves workspace packages to their
 * TypeScript sources, so no library build has to run first.
 */
export function executableBuildOptions(): BuildOptions {
  return {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    conditions: ["source"],
    legalComments: "none",
    logLevel: "silent",
    external: [...NEVER_INLINED],
    write: false,
    metafile: true,
  };
}
