import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BundleError } from "./errors.js";

/**
 * A V8 code cache made after the code has run, for a SEA.
 *
 * Node's own SEA code cache (`useCodeCache`) holds only what V8 compiles
 * before anything runs: the top level, not the functions it compiles lazily
 * when they are first called, which is most of what ADD runs (skel's
 * validation, zod). Here the build runs the bundle once per applet, in the
 * very Node binary the SEA embeds, and asks V8 for the cache afterwards, so
 * those functions are in it too. The SEA's main is a small loader that
 * compiles the bundle (an asset) with that cache.
 *
 * The warm-up run must never configure anything: it is an ADD whose
 * CNI_NETNS is the plugin's own network namespace, which skel refuses (code 8)
 * after validating the environment and the config and before calling the
 * handler. Entries built without skel's pluginMain (a CLI) are not run; their
 * cache is the cold one.
 */

export const CODE_ASSET = "tscni-code";
export const CACHE_ASSET = "tscni-code-cache";
/** Name of the compiled script in stack traces. */
const SCRIPT_NAME = "tscni-plugin.cjs";

/** The bundle as one function of CommonJS's module arguments, the form the loader compiles. */
export function wrapAsFunction(code: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
}

/** The SEA's main: compile the bundle with the cache and run it with the main script's own module arguments. */
export const LOADER_SOURCE = `const sea = require("node:sea");
const { Script } = require("node:vm");
const script = new Script(sea.getAsset(${JSON.stringify(CODE_ASSET)}, "utf8"), {
  filename: ${JSON.stringify(SCRIPT_NAME)},
  cachedData: new Uint8Array(sea.getRawAsset(${JSON.stringify(CACHE_ASSET)})),
});
script.runInThisContext()(exports, require, module, __filename, __dirname);
`;

/**
 * Run by the embedded Node at build time: compile the wrapped bundle (with the
 * cache of the previous run, if any), run it as the applet named argv[4], and
 * write V8's cache when the process exits (skel ends with process.exit).
 */
const PRODUCER_SOURCE = `const fs = require("node:fs");
const { Script } = require("node:vm");
const [, , codeFile, cacheFile, applet, run] = process.argv;
const previous = fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined;
const script = new Script(fs.readFileSync(codeFile, "utf8"), { filename: ${JSON.stringify(SCRIPT_NAME)}, ...(previous ? { cachedData: previous } : {}) });
const fn = script.runInThisContext();
process.on("exit", () => fs.writeFileSync(cacheFile, script.createCachedData()));
if (run === "run") {
  process.argv = [process.argv[0], "/" + applet, ...process.argv.slice(6)];
  const m = { exports: {} };
  fn(m.exports, require, m, "/" + applet, "/");
}
`;

function warmUpRuns(applet: string): Array<{ env: Record<string, string>; stdin: string }> {
  const config = JSON.stringify({ cniVersion: "1.0.0", name: "tscni-warm-up", type: applet });
  return [
    { env: { CNI_COMMAND: "VERSION" }, stdin: JSON.stringify({ cniVersion: "1.0.0" }) },
    {
      env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "tscni-warm-up", CNI_NETNS: "/proc/self/ns/net", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" },
      stdin: config,
    },
  ];
}

function runNode(node: string, args: string[], env: Record<string, string>, stdin: string, cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(node, args, { cwd, env, timeout: 60_000, maxBuffer: 16 << 20 }, (error) => {
      // The warm-up ADD ends in a refusal (exit 1): only a run that could not write the cache is a failure.
      if (error && typeof error.code !== "number") reject(error);
      else resolvePromise();
    });
    child.stdin?.end(stdin);
  });
}

/**
 * Writes V8's code cache for `wrappedCode` (see wrapAsFunction) to
 * `cacheFile`, made by `node` after running each of `applets` through the
 * warm-up runs (none: only compiled). `work` is a scratch directory.
 */
export async function produceWarmCache(node: string, wrappedCode: string, cacheFile: string, applets: readonly string[], work: string): Promise<Buffer> {
  const codeFile = join(work, "code.cjs");
  const producer = join(work, "produce-cache.cjs");
  await Promise.all([writeFile(codeFile, wrappedCode), writeFile(producer, PRODUCER_SOURCE)]);
  await runNode(node, [producer, codeFile, cacheFile, "", "compile"], {}, "", work);
  // One process per run, each starting from the previous cache: V8 keeps what it had and adds what this run compiled.
  for (const applet of applets) {
    for (const r of warmUpRuns(applet)) await runNode(node, [producer, codeFile, cacheFile, applet, "run"], r.env, r.stdin, work);
  }
  return readFile(cacheFile);
}

/**
 * Writes code, cache and loader into `work` for the SEA config's `main` and
 * `assets`. `applets` are the names to warm up (none: only compile).
 */
export async function prepareWarmCache(node: string, code: string, applets: readonly string[], work: string): Promise<{ main: string; assets: Record<string, string> }> {
  await writeFile(join(work, "loader.cjs"), LOADER_SOURCE);
  try {
    await produceWarmCache(node, wrapAsFunction(code), join(work, "code.cache"), applets, work);
  } catch (e) {
    throw new BundleError("SEA_FAILED", `${node} could not prepare the warm code cache: ${(e as Error).message}`, { cause: e });
  }
  return { main: "loader.cjs", assets: { [CODE_ASSET]: "code.cjs", [CACHE_ASSET]: "code.cache" } };
}
