import type { BuildOptions } from "esbuild";
import { lazyBuiltinsPlugin } from "./lazy-builtins.js";

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
 * TypeScript sources, so no library build has to run first. Heavy Node
 * built-ins are loaded on first use (lazy-builtins.ts) unless lazyBuiltins is false.
 */
export function executableBuildOptions(options: { lazyBuiltins?: boolean } = {}): BuildOptions {
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
    plugins: options.lazyBuiltins === false ? [] : [lazyBuiltinsPlugin()],
  };
}
