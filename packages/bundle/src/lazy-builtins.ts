import { createRequire } from "node:module";
import type { Plugin } from "esbuild";

/**
 * Node built-ins that cost start-up time when loaded (measured on Node 20.20:
 * child_process, net and crypto ~2-3 ms of CPU each, against ~22 ms for all of
 * `node -e 0`). Those already loaded during Node's bootstrap (fs, path, util,
 * events, buffer, url) cost nothing and are left alone.
 */
export const LAZY_BUILTINS: readonly string[] = [
  "assert",
  "child_process",
  "crypto",
  "dgram",
  "dns",
  "fs/promises",
  "http",
  "http2",
  "https",
  "inspector",
  "net",
  "perf_hooks",
  "readline",
  "stream",
  "stream/promises",
  "tls",
  "v8",
  "worker_threads",
  "zlib",
];

const NAMESPACE = "tscni-lazy-builtin";

/**
 * Source of a stand-in for a built-in module: an object with one getter per
 * export, each loading the real module on first use. A plugin whose VERSION
 * never spawns a process never loads child_process. The getters keep named and
 * default imports, `instanceof` and `extends` working (they return the real
 * values); a name unknown when bundling (a newer Node) falls through to the
 * real module, and writes go to it. `__esModule` is answered without loading,
 * because esbuild's import helper asks for it.
 */
function standInSource(name: string, keys: readonly string[]): string {
  const specifier = JSON.stringify(`node:${name}`);
  return `let real;
const load = () => (real ??= require(${specifier}));
const known = {};
for (const key of ${JSON.stringify(keys)}) Object.defineProperty(known, key, { enumerable: true, configurable: true, get: () => load()[key] });
module.exports = new Proxy(known, {
  get: (target, key) => (key === "__esModule" ? undefined : key in target ? target[key] : load()[key]),
  has: (target, key) => key in target || key in load(),
  set: (_, key, value) => { load()[key] = value; return true; },
});
`;
}

/**
 * An esbuild plugin that turns every import of a LAZY_BUILTINS module into its
 * stand-in, so a plugin's start-up pays only for the built-ins its verb uses,
 * whatever its dependencies import at their top level.
 */
export function lazyBuiltinsPlugin(modules: readonly string[] = LAZY_BUILTINS): Plugin {
  const names = new Set(modules);
  // Built-ins resolve from anywhere; process.execPath is an absolute path in every form this code runs in
  // (ESM source, the CommonJS cni-bundle, a SEA), unlike import.meta.url.
  const requireHere = createRequire(process.execPath);
  return {
    name: "tscni-lazy-builtins",
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, "");
        if (!names.has(name)) return undefined;
        // The stand-in's own require of the real module stays a plain require.
        if (args.namespace === NAMESPACE) return { path: `node:${name}`, external: true };
        return { path: name, namespace: NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const keys = Object.keys(requireHere(`node:${args.path}`) as object);
        return { contents: standInSource(args.path, keys), loader: "js" };
      });
    },
  };
}
