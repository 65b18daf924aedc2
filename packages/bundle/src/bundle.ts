import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { build, type BuildFailure, type BuildOptions, type Metafile } from "esbuild";
import { BundleError } from "./errors.js";
import { executableBuildOptions } from "./esbuild-options.js";
import { checkAppletNames, launcherSource } from "./multicall.js";
import { containsPluginMain, SKEL_PACKAGE } from "./plugin-main-check.js";

export interface BundleSource {
  /** One plugin entry file. Give this or `applets`. */
  entry?: string;
  /** A multi-call executable: applet name -> entry file; it runs the one it is exec'd as. */
  applets?: Readonly<Record<string, string>>;
  /**
   * Refuse entries whose bundle does not contain skel's pluginMain (default true).
   * Off for non-plugin programs such as CLIs.
   */
  requirePluginMain?: boolean;
  /** Resolves relative entries; paths in the metafile are relative to it. Default process.cwd(). */
  absWorkingDir?: string;
  /** Packages to leave as `require()` calls instead of inlining. */
  external?: readonly string[];
  /** Load heavy Node built-ins (child_process, net, crypto...) on first use (default true). */
  lazyBuiltins?: boolean;
}

export interface BundledCode {
  /** Minified CommonJS, no interpreter line. */
  code: string;
  metafile: Metafile;
}

interface ResolvedSource {
  cwd: string;
  applets: Record<string, string>;
  single: string | undefined;
}

async function resolveSource(src: BundleSource): Promise<ResolvedSource> {
  const cwd = resolve(src.absWorkingDir ?? process.cwd());
  if ((src.entry === undefined) === (src.applets === undefined)) {
    throw new BundleError("BAD_OPTION", "give exactly one of `entry` (one plugin) or `applets` (a multi-call executable)");
  }
  const named = src.applets ?? { main: src.entry as string };
  checkAppletNames(Object.keys(named));
  const applets: Record<string, string> = {};
  for (const [name, entry] of Object.entries(named)) {
    const path = resolve(cwd, entry);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      throw new BundleError("ENTRY_NOT_FOUND", `entry ${entry} (${path}) does not exist or is not a file; pass the plugin's main .ts/.js file`);
    }
    applets[name] = path;
  }
  return { cwd, applets, single: src.entry === undefined ? undefined : (applets.main as string) };
}

/**
 * esbuild keeps an entry's own `#!` line at the top of its output; the
 * executable writes its own (a SEA none), and a second one, or one inside the
 * load guard's or the code cache loader's function, is a SyntaxError.
 */
function withoutHashbang(code: string): string {
  return code.startsWith("#!") ? code.slice(code.indexOf("\n") + 1) : code;
}

async function runEsbuild(options: BuildOptions, what: string): Promise<{ code: string; metafile: Metafile }> {
  try {
    const r = await build(options);
    const out = r.outputFiles?.[0];
    if (!out || !r.metafile) throw new Error("esbuild returned no output");
    return { code: withoutHashbang(out.text), metafile: r.metafile };
  } catch (e) {
    const failure = e as Partial<BuildFailure>;
    const lines = (failure.errors ?? []).map((m) => {
      const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : "";
      return `  ${at}${m.text}`;
    });
    const detail = lines.length ? lines.join("\n") : `  ${(e as Error).message}`;
    throw new BundleError("BUILD_FAILED", `esbuild could not bundle ${what}:\n${detail}`, { cause: e });
  }
}

function baseOptions(cwd: string, external: readonly string[] | undefined, lazyBuiltins: boolean | undefined): BuildOptions {
  const base = executableBuildOptions(lazyBuiltins === false ? { lazyBuiltins: false } : {});
  return { ...base, absWorkingDir: cwd, external: [...(base.external ?? []), ...(external ?? [])] };
}

async function checkPluginMain(name: string, entry: string, cwd: string, src: BundleSource): Promise<void> {
  const options: BuildOptions = { ...baseOptions(cwd, src.external, src.lazyBuiltins), outfile: "out.cjs", entryPoints: [entry], minify: false };
  const { code, metafile } = await runEsbuild(options, entry);
  if (!containsPluginMain(code, metafile, cwd)) {
    throw new BundleError(
      "NO_PLUGIN_MAIN",
      `${entry}${name === "main" ? "" : ` (applet ${name})`} never calls pluginMain from ${SKEL_PACKAGE}, so the executable would exit without speaking CNI; ` +
        `call pluginMain(...) at the top level of the entry, or pass requirePluginMain: false (--allow-no-plugin-main) for a program that is not a plugin`,
    );
  }
}

/**
 * Bundles a plugin (or a multi-call set) into one minified CommonJS program
 * with every dependency inlined. `launcher` wraps the applets in a
 * name-dispatching entry; a single plain entry is bundled as it is.
 */
export async function bundleCode(src: BundleSource, launcher?: { snapshotAware: boolean }): Promise<BundledCode> {
  const r = await resolveSource(src);
  const checks =
    src.requirePluginMain === false
      ? []
      : Object.entries(r.applets).map(([name, entry]) => checkPluginMain(name, entry, r.cwd, src));
  const options = { ...baseOptions(r.cwd, src.external, src.lazyBuiltins), outfile: "out.cjs" };
  const wrapped = launcher !== undefined || r.single === undefined;
  const final = wrapped
    ? runEsbuild(
        {
          ...options,
          stdin: {
            contents: launcherSource({
              applets: r.applets,
              dispatchOnName: r.single === undefined,
              snapshotAware: launcher?.snapshotAware ?? false,
              guard: (launcher?.snapshotAware ?? false) && src.requirePluginMain !== false,
            }),
            resolveDir: r.single ? dirname(r.single) : r.cwd,
            sourcefile: "tscni-launcher.js",
            loader: "js",
          },
        },
        Object.values(r.applets).join(", "),
      )
    : runEsbuild({ ...options, entryPoints: [r.single as string] }, r.single as string);
  const [bundled] = await Promise.all([final, ...checks]);
  return bundled;
}

export interface BatchEntry {
  entry: string;
  requirePluginMain?: boolean;
}

/**
 * Bundles many single-entry programs with one esbuild run per pass, so the
 * modules they share (skel, types, zod) are parsed once, not once per plugin.
 * All or nothing: on any failure it throws, and a caller that wants to know
 * which entry is broken bundles them one by one (bundleCode) for the message.
 */
export async function bundleEntries(
  entries: readonly BatchEntry[],
  options: { absWorkingDir?: string; external?: readonly string[]; lazyBuiltins?: boolean } = {},
): Promise<BundledCode[]> {
  const cwd = resolve(options.absWorkingDir ?? process.cwd());
  const points = entries.map((e, i) => ({ in: resolve(cwd, e.entry), out: `entry-${i}` }));
  // Nothing is written (write: false); outdir only names the outputs.
  const base = { ...baseOptions(cwd, options.external, options.lazyBuiltins), outdir: resolve(cwd, ".tscni-bundle-virtual") };
  const all = async (minify: boolean, which: number[]) => {
    const r = await build({ ...base, minify, entryPoints: which.map((i) => points[i] as { in: string; out: string }) });
    const byOut = new Map((r.outputFiles ?? []).map((f) => [f.path, withoutHashbang(f.text)]));
    return { metafile: r.metafile as Metafile, code: (i: number) => byOut.get(resolve(base.outdir, `entry-${i}.js`)) };
  };
  const checked = entries.flatMap((e, i) => (e.requirePluginMain === false ? [] : [i]));
  const [final, check] = await Promise.all([all(true, entries.map((_, i) => i)), checked.length ? all(false, checked) : undefined]);
  for (const i of checked) {
    const code = check?.code(i);
    if (code === undefined || !containsPluginMain(code, check?.metafile as Metafile, cwd)) {
      throw new BundleError("NO_PLUGIN_MAIN", `${entries[i]?.entry} never calls pluginMain`);
    }
  }
  return entries.map((_, i) => {
    const code = final.code(i);
    if (code === undefined) throw new BundleError("BUILD_FAILED", `esbuild returned no output for ${entries[i]?.entry}`);
    return { code, metafile: final.metafile };
  });
}
