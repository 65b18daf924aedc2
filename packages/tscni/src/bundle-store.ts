/**
 * The bundle form's script store: `<bin dir>/.tscni-bundles/<hash>/<plugin>`
 * (and its `.v8cache`), one directory per script content, never rewritten.
 * The plugin's own name is a launcher (tscni-shim with a `launch=` setting)
 * that execs the stored script.
 *
 * Why not the script under the plugin's name, as `cni-bundle install` does:
 * the kernel execs a script's interpreter with the script's path, and Node
 * opens that path again some milliseconds later. If an upgrade has meanwhile
 * renamed something else over the name (the SEA's link, when switching form),
 * Node reads that instead: an ELF file parsed as JavaScript. A launcher is an
 * ELF itself, exec'd by the kernel in one step, and the path it hands on names
 * bytes no upgrade changes. So a switch of form or build under load costs no
 * exec; the test of it is packages/tscni/test/live-upgrade.test.ts.
 *
 * A stored script no launcher names any more may still be about to be opened
 * by an exec that started before the switch: it is kept RETIRED_KEEP_MS after
 * the install that retired it (its directory's mtime marks when), then removed
 * by a later install or --watch check.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, readFile, rm, utimes } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readShimConfig } from "@tscni/daemon/shim-config";

export const STORE_NAME = ".tscni-bundles";
export const RETIRED_KEEP_MS = 60_000;
const ENTRY = /^[0-9a-f]{16}$/;
/** A launcher is the static shim (under 1 MB); a bigger file under a plugin's name is something else (the SEA). */
const MAX_LAUNCHER_BYTES = 4 * 1024 * 1024;

export function storeDir(binDir: string): string {
  return join(binDir, STORE_NAME);
}

/** What changes when a file is written, chmodded or replaced: a file whose signature is unchanged need not be read again. */
export function statSignature(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mode}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * What was read from files, kept while their stat signatures stay the same: a
 * --watch check every few seconds rereads nothing unchanged (an 87 MB SEA, the
 * launchers); any write, chmod or rename changes mtime or ctime, so the signature.
 */
export class SignatureMemo<T> {
  readonly #known = new Map<string, { signature: string; value: T }>();

  async get(key: string, signature: string, read: () => Promise<T>): Promise<T> {
    const known = this.#known.get(key);
    if (known?.signature === signature) return known.value;
    const value = await read();
    this.#known.set(key, { signature, value });
    return value;
  }
}

/** Launch targets read from launchers, by path. */
const targets = new SignatureMemo<string | undefined>();

/** The store entry (hash directory name) the file at `path` launches, if it is a launcher into `binDir`'s store. */
async function launchedEntry(binDir: string, path: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_LAUNCHER_BYTES) return undefined;
  const target = await targets.get(path, statSignature(info), async () => readShimConfig(await readFile(path).catch(() => Buffer.alloc(0)))?.launch);
  if (!target) return undefined;
  const entry = dirname(target);
  return dirname(entry) === storeDir(binDir) ? basename(entry) : undefined;
}

/** The store entries the launchers under `names` exec. */
export async function launchedEntries(binDir: string, names: Iterable<string>): Promise<Set<string>> {
  const entries = new Set<string>();
  for (const name of new Set(names)) {
    const entry = await launchedEntry(binDir, join(binDir, name));
    if (entry) entries.add(entry);
  }
  return entries;
}

/**
 * After an install: entries still launched stay; entries launched before it
 * (`before`) and not now are retired (stamped now); entries retired longer
 * than `keepMs` ago are removed. Returns one line per removal.
 */
export async function pruneStore(binDir: string, now: ReadonlySet<string>, before: ReadonlySet<string>, keepMs = RETIRED_KEEP_MS): Promise<string[]> {
  const dir = storeDir(binDir);
  const removed: string[] = [];
  const stamp = new Date();
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!ENTRY.test(entry) || now.has(entry)) continue;
    const path = join(dir, entry);
    if (before.has(entry) && keepMs > 0) {
      await utimes(path, stamp, stamp);
      continue;
    }
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory() || stamp.getTime() - info.mtimeMs < keepMs) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(`removed ${STORE_NAME}/${entry}`);
  }
  if (keepMs === 0 && (await readdir(dir).catch(() => ["?"])).length === 0) {
    await rm(dir, { recursive: true, force: true });
    removed.push(`removed ${STORE_NAME}`);
  }
  return removed;
}
