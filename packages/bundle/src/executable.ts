import { rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { checkWritableDirectory, writeFileAtomic } from "./atomic.js";
import { type BundleSource, bundleCode, bundleEntries } from "./bundle.js";
import { codeCacheLoader, codeCachePathFor, produceCodeCache } from "./code-cache.js";
import { BundleError } from "./errors.js";
import { linkApplets } from "./links.js";
import { guardedBundle } from "./load-guard.js";
import { checkVersionAnswers } from "./version-check.js";
import { runVersion } from "./warm-cache.js";
import { COMMONJS_MARKER, commonJsMarkerFor } from "./module-scope.js";

export const DEFAULT_INTERPRETER = "/usr/bin/env node";

export interface ExecutableOptions extends BundleSource {
  /** Where the executable goes; replaced atomically. */
  outFile: string;
  /**
   * The `#!` line without `#!`: `/usr/bin/env node` (default) or an absolute
   * node path, for runtimes whose PATH does not contain node.
   */
  interpreter?: string;
  /** For a multi-call build: create `<applet>` symlinks beside outFile (default true). */
  links?: boolean;
  /**
   * Also write `<outFile>.v8cache`, a V8 code cache made by a warm-up run,
   * which the executable uses when it is there and made for it by the Node
   * running it (code-cache.ts). Default false.
   */
  codeCache?: boolean;
  /** The Node that makes the code cache: the one the #! line will run. Default process.execPath. */
  node?: string;
}

export interface BuiltExecutable {
  path: string;
  bytes: number;
  /** Symlinks created for the applets of a multi-call build. */
  links: string[];
  /** The code cache written beside the executable (codeCache builds). */
  codeCache?: { path: string; bytes: number };
  /** The {"type": "commonjs"} package.json written beside a script bundle in a "type": "module" project. */
  scopeMarker?: string;
}

/** Linux reads at most 127 bytes of a `#!` line on older kernels; longer ones are cut silently. */
const MAX_SHEBANG = 127;

export function shebangFor(interpreter: string = DEFAULT_INTERPRETER): string {
  const line = `#!${interpreter}`;
  if (!interpreter.startsWith("/") || /[\r\n\0]/.test(interpreter) || line.length > MAX_SHEBANG) {
    throw new BundleError(
      "BAD_OPTION",
      `interpreter ${JSON.stringify(interpreter)} is not usable in a #! line: it must be an absolute path (optionally followed by one argument, as in "/usr/bin/env node"), one line, at most ${MAX_SHEBANG - 2} bytes`,
    );
  }
  return `${line}\n`;
}

/**
 * Writes the executable (and its code cache first, for a codeCache build).
 * `marker`: the {"type": "commonjs"} package.json its directory needs (module-scope.ts).
 */
async function writeExecutable(o: ExecutableOptions, path: string, shebang: string, code: string, marker: string | undefined): Promise<BuiltExecutable> {
  const cachePath = codeCachePathFor(path);
  // A plugin answers a throw at load with a CNI error object; a program that is not a plugin keeps Node's own report.
  const plugin = o.requirePluginMain !== false;
  let text = shebang + (plugin ? guardedBundle(code) : code);
  let codeCache: { path: string; bytes: number } | undefined;
  // Only a plugin is run (to warm the cache, to check VERSION): skel refuses the warm-up ADD before its handler.
  const applets = plugin ? Object.keys(o.applets ?? { main: "" }) : [];
  const node = resolve(o.node ?? process.execPath);
  if (o.codeCache) {
    text = shebang + codeCacheLoader(code, { guard: plugin });
    const { sidecar: cache, versions } = await produceCodeCache(node, code, applets);
    checkVersionAnswers(versions);
    // The cache first: an executable is never next to a cache older than itself (a stale one would be refused anyway).
    await writeFileAtomic(cachePath, cache, 0o644);
    codeCache = { path: cachePath, bytes: cache.length };
  } else if (applets.length) {
    checkVersionAnswers(await runVersion(node, code, applets));
  }
  if (marker) await writeFileAtomic(marker, COMMONJS_MARKER, 0o644);
  await writeFileAtomic(path, text, 0o755);
  // A cache left by an earlier codeCache build would be refused; removing it keeps install from copying it.
  if (!o.codeCache) await rm(cachePath, { force: true });
  return { path, bytes: Buffer.byteLength(text), links: [], ...(codeCache ? { codeCache } : {}), ...(marker ? { scopeMarker: marker } : {}) };
}

/** Entry (or applets) -> one self-contained script with a #! line, mode 0755. */
export async function buildExecutable(o: ExecutableOptions): Promise<BuiltExecutable> {
  const shebang = shebangFor(o.interpreter);
  const path = resolve(o.absWorkingDir ?? process.cwd(), o.outFile);
  const [, marker, { code }] = await Promise.all([checkWritableDirectory(dirname(path)), commonJsMarkerFor(path), bundleCode(o)]);
  const built = await writeExecutable(o, path, shebang, code, marker);
  const links = o.applets && o.links !== false ? await linkApplets(path, Object.keys(o.applets)) : [];
  return { ...built, links };
}

/**
 * Builds many single-entry executables at once: one esbuild run for all of
 * them (a repository's plugins share most of their modules). If the batch
 * fails, each is built on its own, so every broken one gets its own precise
 * error and the good ones are still written. Results are in input order.
 */
export async function buildExecutables(list: readonly ExecutableOptions[]): Promise<PromiseSettledResult<BuiltExecutable>[]> {
  const first = list[0];
  const batchable =
    first !== undefined &&
    list.length > 1 &&
    list.every((o) => o.entry !== undefined && o.applets === undefined && o.absWorkingDir === first.absWorkingDir && o.external === first.external && o.lazyBuiltins === first.lazyBuiltins);
  const oneByOne = () => Promise.allSettled(list.map((o) => buildExecutable(o)));
  if (!batchable) return oneByOne();
  let codes: { code: string }[];
  try {
    list.forEach((o) => shebangFor(o.interpreter));
    codes = await bundleEntries(
      list.map((o) => ({ entry: o.entry as string, ...(o.requirePluginMain === false ? { requirePluginMain: false } : {}) })),
      {
        ...(first.absWorkingDir ? { absWorkingDir: first.absWorkingDir } : {}),
        ...(first.external ? { external: first.external } : {}),
        ...(first.lazyBuiltins === false ? { lazyBuiltins: false } : {}),
      },
    );
  } catch {
    return oneByOne();
  }
  return Promise.allSettled(
    list.map(async (o, i) => {
      const path = resolve(o.absWorkingDir ?? process.cwd(), o.outFile);
      const [, marker] = await Promise.all([checkWritableDirectory(dirname(path)), commonJsMarkerFor(path)]);
      return writeExecutable(o, path, shebangFor(o.interpreter), (codes[i] as { code: string }).code, marker);
    }),
  );
}
