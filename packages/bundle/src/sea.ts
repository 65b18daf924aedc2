import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { checkWritableDirectory, replaceAtomically } from "./atomic.js";
import { type BundleSource, bundleCode } from "./bundle.js";
import { BundleError } from "./errors.js";
import type { BuiltExecutable } from "./executable.js";
import { linkApplets } from "./links.js";
import { guardedBundle } from "./load-guard.js";
import { checkVersionAnswers } from "./version-check.js";
import { prepareWarmCache, runVersion } from "./warm-cache.js";

const run = promisify(execFile);

/** The marker Node's SEA loader looks for; postject flips its `:0` to `:1`. */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * How a SEA starts its code. `snapshot`: the bundle is loaded into a V8 startup
 * snapshot at build time, so an exec deserialises it instead of compiling it;
 * `code-cache`: V8 bytecode for the main script is stored in the blob;
 * `warm-code-cache`: a code cache made after a warm-up run of each applet, so it
 * also holds the functions V8 compiles lazily (warm-cache.ts);
 * `none`: compiled at every exec.
 */
export type SeaStartup = "snapshot" | "code-cache" | "warm-code-cache" | "none";
export const SEA_STARTUPS: readonly SeaStartup[] = ["warm-code-cache", "code-cache", "snapshot", "none"];
/**
 * Measured on noop (CPU ms per exec, Node 20.20, means of 40 interleaved
 * runs): warm code cache 27.1 VERSION / 27.9 ADD, code cache 28.3 / 31.8.
 * Earlier: snapshot 29.5 / 33.4, none 28.2 / 32.0 against code cache 26.1 /
 * 29.8. Deserialising a user snapshot costs ~3.5 ms by itself (empty SEA:
 * 24.6 with a snapshot, 21.0 with a code cache).
 */
export const DEFAULT_SEA_STARTUP: SeaStartup = "warm-code-cache";

export interface SeaOptions extends BundleSource {
  outFile: string;
  /** The Node binary to embed; it also prepares the blob, whose format is tied to its version. Default process.execPath. */
  node?: string;
  startup?: SeaStartup;
  /** Strip symbols from the copied binary (~12 MB less) when `strip` is on PATH. Default true. */
  strip?: boolean;
  /** For a multi-call build: create `<applet>` symlinks beside outFile (default true). */
  links?: boolean;
}

function unsupported(node: string, why: string): BundleError {
  return new BundleError("SEA_UNSUPPORTED", `${node} cannot build a single executable application: ${why}`);
}

/**
 * Refuses, before anything is written, a Node that cannot be turned into a
 * SEA: not Linux (macOS needs code signing, not done here), older than 20.6
 * (no code cache or snapshot in the blob), or a binary without the fuse
 * (a distribution build, a version-manager shim, an existing SEA).
 */
export async function checkSeaSupport(node: string = process.execPath): Promise<Buffer> {
  if (process.platform !== "linux") throw unsupported(node, `SEA builds are supported on Linux only (this is ${process.platform})`);
  let version: string;
  try {
    version = (await run(node, ["--version"], { timeout: 10_000 })).stdout.trim();
  } catch (e) {
    throw unsupported(node, `it does not run (${(e as Error).message.split("\n")[0]}); pass --node with a Node 20.6+ binary`);
  }
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 6)) throw unsupported(node, `it is ${version}; SEA with code cache and snapshot needs Node 20.6 or newer`);
  const binary = await readFile(node).catch((e: Error) => {
    throw unsupported(node, `it cannot be read (${e.message})`);
  });
  if (binary.indexOf(`${SEA_FUSE}:1`) !== -1) throw unsupported(node, "it is already a single executable application; pass the plain node binary");
  if (binary.indexOf(`${SEA_FUSE}:0`) === -1) {
    throw unsupported(node, "the binary has no SEA fuse (a distribution build linked against a shared libnode, or a wrapper script); pass --node with an official Node build");
  }
  return binary;
}

async function hasStrip(): Promise<boolean> {
  try {
    await run("strip", ["--version"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function prepareBlob(node: string, code: string, startup: SeaStartup, warmUp: readonly string[], plugin: boolean): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), "tscni-sea-"));
  try {
    let entry: { main: string; assets?: Record<string, string> } = { main: "main.cjs" };
    // A plugin answers a throw at load with a CNI error object (load-guard.ts); in a snapshot the launcher holds the guard.
    if (startup === "warm-code-cache") {
      const prepared = await prepareWarmCache(node, code, warmUp, work, { guard: plugin });
      checkVersionAnswers(prepared.versions);
      entry = prepared;
    } else {
      if (warmUp.length) checkVersionAnswers(await runVersion(node, code, warmUp));
      await writeFile(join(work, "main.cjs"), plugin && startup !== "snapshot" ? guardedBundle(code) : code);
    }
    const config = {
      main: entry.main,
      ...(entry.assets ? { assets: entry.assets } : {}),
      output: "sea.blob",
      disableExperimentalSEAWarning: true,
      useSnapshot: startup === "snapshot",
      useCodeCache: startup === "code-cache" || startup === "warm-code-cache",
    };
    await writeFile(join(work, "sea-config.json"), JSON.stringify(config));
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    try {
      await run(node, ["--experimental-sea-config", "sea-config.json"], { cwd: work, env, timeout: 120_000 });
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? "").trim();
      throw new BundleError("SEA_FAILED", `${node} --experimental-sea-config failed (startup ${startup}): ${stderr || (e as Error).message}`, { cause: e });
    }
    return await readFile(join(work, "sea.blob"));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * postject's ELF parser (LIEF, compiled to wasm) prints a dozen "Can't find
 * string offset for section name '.note...'" lines through console.warn for
 * every Node binary; they are noise, and anything else is passed on.
 */
function quietLiefWarnings(warn: typeof console.warn): typeof console.warn {
  return (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("warning: Can't find string offset for section name")) return;
    warn(...args);
  };
}

/** Entry (or applets) -> a copy of the Node binary carrying the bundle: no Node needed on the host. */
export async function buildSea(o: SeaOptions): Promise<BuiltExecutable> {
  const node = resolve(o.node ?? process.execPath);
  const startup = o.startup ?? DEFAULT_SEA_STARTUP;
  if (!SEA_STARTUPS.includes(startup)) {
    throw new BundleError("BAD_OPTION", `startup ${JSON.stringify(startup)} is not one of ${SEA_STARTUPS.join(", ")}`);
  }
  const path = resolve(o.absWorkingDir ?? process.cwd(), o.outFile);
  const [, , { code }, strip] = await Promise.all([
    checkWritableDirectory(dirname(path)),
    checkSeaSupport(node),
    bundleCode(o, { snapshotAware: startup === "snapshot" }),
    o.strip === false ? false : hasStrip(),
  ]);
  // Only a plugin is run to warm the cache: skel refuses the warm-up ADD before its handler.
  const plugin = o.requirePluginMain !== false;
  const warmUp = plugin ? Object.keys(o.applets ?? { main: "" }) : [];
  const blob = await prepareBlob(node, code, startup, warmUp, plugin);
  const { inject } = await import("postject");
  await replaceAtomically(path, async (tmp) => {
    let stripped = false;
    if (strip) stripped = await run("strip", ["-o", tmp, node], { timeout: 120_000 }).then(() => true, () => false);
    if (!stripped) await copyFile(node, tmp);
    const warn = console.warn;
    console.warn = quietLiefWarnings(warn);
    try {
      await inject(tmp, "NODE_SEA_BLOB", blob, { sentinelFuse: SEA_FUSE });
    } catch (e) {
      throw new BundleError("SEA_FAILED", `postject could not inject the blob into a copy of ${node}: ${(e as Error).message}`, { cause: e });
    } finally {
      console.warn = warn;
    }
  });
  const links = o.applets && o.links !== false ? await linkApplets(path, Object.keys(o.applets)) : [];
  const { size } = await stat(path);
  return { path, bytes: size, links };
}
