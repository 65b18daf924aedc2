import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BundleError } from "./errors.js";
import { guardLoad } from "./load-guard.js";

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

/**
 * The SEA's main: compile the bundle with the cache and run it with the main
 * script's own module arguments; a plugin runs inside the load guard.
 */
export function loaderSource(o: { guard: boolean }): string {
  const run = "script.runInThisContext()(exports, require, module, __filename, __dirname);";
  return `const sea = require("node:sea");
const { Script } = require("node:vm");
const script = new Script(sea.getAsset(${JSON.stringify(CODE_ASSET)}, "utf8"), {
  filename: ${JSON.stringify(SCRIPT_NAME)},
  cachedData: new Uint8Array(sea.getRawAsset(${JSON.stringify(CACHE_ASSET)})),
});
${o.guard ? guardLoad(run) : run}
`;
}

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

const VERSION_RUN = { env: { CNI_COMMAND: "VERSION" }, stdin: JSON.stringify({ cniVersion: "1.0.0" }) };

function warmUpRuns(applet: string): Array<{ env: Record<string, string>; stdin: string }> {
  const config = JSON.stringify({ cniVersion: "1.0.0", name: "tscni-warm-up", type: applet });
  return [
    VERSION_RUN,
    {
      env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "tscni-warm-up", CNI_NETNS: "/proc/self/ns/net", CNI_IFNAME: "eth0", CNI_PATH: "/nonexistent" },
      stdin: config,
    },
  ];
}

/** Runs `node args` and resolves with its stdout. */
function runNode(node: string, args: string[], env: Record<string, string>, stdin: string, cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(node, args, { cwd, env, timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout) => {
      // The warm-up ADD ends in a refusal (exit 1): only a run that could not write the cache is a failure.
      if (error && typeof error.code !== "number") reject(error);
      else resolvePromise(stdout);
    });
    child.stdin?.end(stdin);
  });
}

/** Applet name -> what its VERSION run printed on stdout. */
export type VersionAnswers = Record<string, string>;

async function writeRunner(wrappedCode: string, work: string): Promise<{ codeFile: string; producer: string }> {
  const codeFile = join(work, "code.cjs");
  const producer = join(work, "produce-cache.cjs");
  await Promise.all([writeFile(codeFile, wrappedCode), writeFile(producer, PRODUCER_SOURCE)]);
  return { codeFile, producer };
}

/**
 * Writes V8's code cache for `wrappedCode` (see wrapAsFunction) to
 * `cacheFile`, made by `node` after running each of `applets` through the
 * warm-up runs (none: only compiled). `work` is a scratch directory.
 * Also returns each applet's VERSION answer, for version-check.ts.
 */
export async function produceWarmCache(
  node: string,
  wrappedCode: string,
  cacheFile: string,
  applets: readonly string[],
  work: string,
): Promise<{ cache: Buffer; versions: VersionAnswers }> {
  const { codeFile, producer } = await writeRunner(wrappedCode, work);
  await runNode(node, [producer, codeFile, cacheFile, "", "compile"], {}, "", work);
  const versions: VersionAnswers = {};
  // One process per run, each starting from the previous cache: V8 keeps what it had and adds what this run compiled.
  for (const applet of applets) {
    for (const r of warmUpRuns(applet)) {
      const stdout = await runNode(node, [producer, codeFile, cacheFile, applet, "run"], r.env, r.stdin, work);
      if (r === VERSION_RUN) versions[applet] = stdout;
    }
  }
  return { cache: await readFile(cacheFile), versions };
}

/** Each applet's VERSION answer from one run in `node`, for builds without a warm-up (no code cache). */
export async function runVersion(node: string, code: string, applets: readonly string[]): Promise<VersionAnswers> {
  const work = await mkdtemp(join(tmpdir(), "tscni-version-"));
  try {
    const { codeFile, producer } = await writeRunner(wrapAsFunction(code), work);
    const versions: VersionAnswers = {};
    for (const applet of applets) {
      versions[applet] = await runNode(node, [producer, codeFile, join(work, "code.cache"), applet, "run"], VERSION_RUN.env, VERSION_RUN.stdin, work);
    }
    return versions;
  } catch (e) {
    throw new BundleError("BUILD_FAILED", `${node} could not run the plugin's VERSION: ${(e as Error).message}`, { cause: e });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Writes code, cache and loader into `work` for the SEA config's `main` and
 * `assets`. `applets` are the names to warm up (none: only compile).
 */
export async function prepareWarmCache(
  node: string,
  code: string,
  applets: readonly string[],
  work: string,
  o: { guard: boolean },
): Promise<{ main: string; assets: Record<string, string>; versions: VersionAnswers }> {
  await writeFile(join(work, "loader.cjs"), loaderSource(o));
  let versions: VersionAnswers;
  try {
    ({ versions } = await produceWarmCache(node, wrapAsFunction(code), join(work, "code.cache"), applets, work));
  } catch (e) {
    throw new BundleError("SEA_FAILED", `${node} could not prepare the warm code cache: ${(e as Error).message}`, { cause: e });
  }
  return { main: "loader.cjs", assets: { [CODE_ASSET]: "code.cjs", [CACHE_ASSET]: "code.cache" }, versions };
}
