import { constants } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { CODE_CACHE_SUFFIX, stageFile, syncDirectory, tempPathFor } from "@tscni/bundle";
import { launcherFor } from "@tscni/daemon/shim-config";
import { launchedEntries, pruneStore, SignatureMemo, statSignature, STORE_NAME, storeDir } from "./bundle-store.js";
import { InstallError, messageOf } from "./errors.js";
import { readRecord } from "./record.js";
import { execVersion } from "./smoke.js";

/**
 * `bundle`: one script bundle (+ code cache) per plugin, in the bin dir's store, exec'd through a launcher under
 * the plugin's name (bundle-store.ts says why). `sea`: one multi-call SEA and a symlink per plugin.
 */
export type Form = "bundle" | "sea";
export const FORMS: readonly Form[] = ["bundle", "sea"];
/** The multi-call binary's name in the bin dir; `npm run build:sea` produces it under this name. */
export const MULTICALL_NAME = "tscni-plugins";

export interface BinarySources {
  /** Directory holding the script bundles `<plugin>` and their `<plugin>.v8cache`. */
  bundleDir: string;
  /** The SEA multi-call binary. */
  seaFile: string;
  /** tscni-shim as built: the bundle form's launcher, and the daemon mode's shim. */
  shimFile: string;
}

export interface BinariesRequest extends BinarySources {
  binDir: string;
  plugins: readonly string[];
  form: Form;
}

export interface InstalledBinaries {
  /** One line per change made. */
  actions: string[];
  /** supportedVersions of each plugin whose binary was smoke-tested by this run. */
  versions: ReadonlyMap<string, readonly string[]>;
}

/** A file or link made under a temporary name and checked, waiting for its rename. */
interface Staged {
  tmp: string;
  dest: string;
  action: string;
}

/** Whether pairs of files were equal, by the stat signatures both had (a SEA is 87 MB). */
const compared = new SignatureMemo<boolean>();

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), lstat(b).catch(() => undefined)]);
  if (!sa?.isFile() || !sb?.isFile() || sa.size !== sb.size) return false;
  return compared.get(`${a}\0${b}`, `${statSignature(sa)}|${statSignature(sb)}`, () => equalContents(a, b));
}

/** Compares in 1 MiB pieces: a SEA is not read into memory whole (twice) for a comparison. */
async function equalContents(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const size = 1 << 20;
    const [ba, bb] = [Buffer.alloc(size), Buffer.alloc(size)];
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, size), fb.read(bb, 0, size)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

async function isExecutableCopy(src: string, dest: string): Promise<boolean> {
  const info = await lstat(dest).catch(() => undefined);
  return !!info?.isFile() && (info.mode & 0o7777) === 0o755 && (await sameBytes(src, dest));
}

async function requireFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new InstallError(`${what}: ${path} does not exist or is not a file (build it, or point --from/--sea at the built files)`);
}

/**
 * Copies `src` to a hidden temporary name beside `dest`, sets the mode, fsyncs
 * and closes it, then runs `check` on that temporary file. Nothing of it stays
 * behind when any step fails. Staging runs one file at a time: a writable fd
 * open in this process while a smoke test forks would make that exec fail with
 * ETXTBSY.
 */
async function stageCopy(src: string, dest: string, mode: number, action: string, check?: (tmp: string) => Promise<void>): Promise<Staged> {
  const tmp = await stageFile(dest, (t) => copyFile(src, t, constants.COPYFILE_EXCL), mode);
  try {
    await check?.(tmp);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { tmp, dest, action };
}

async function stageLink(target: string, dest: string, action: string): Promise<Staged> {
  const tmp = tempPathFor(dest);
  await symlink(target, tmp);
  return { tmp, dest, action };
}

async function linksTo(path: string, target: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  return !!info?.isSymbolicLink() && (await readlink(path)) === target;
}

/** What each plugin's new binary answered to VERSION, for the config check to reuse. */
type Answers = Map<string, readonly string[]>;

async function smoke(path: string, plugin: string, answers: Answers, argv0?: string): Promise<void> {
  try {
    answers.set(plugin, (await execVersion(path, argv0)).supportedVersions);
  } catch (e) {
    throw new InstallError(`plugin ${plugin} refused: its new binary failed the smoke test, nothing was changed: ${messageOf(e)}`);
  }
}

/**
 * Copies `src` into the store under `dest` (by temp name and rename) unless it is there. Records a file it
 * created; one it replaced (a changed mode, a code cache made by another Node) was in use, and stays.
 */
async function putInStore(src: string, dest: string, mode: number, store: StoreWrites): Promise<void> {
  const info = await lstat(dest).catch(() => undefined);
  if (info?.isFile() && (info.mode & 0o7777) === mode && (await sameBytes(src, dest))) return;
  const staged = await stageCopy(src, dest, mode, "");
  await rename(staged.tmp, staged.dest);
  if (!info) store.made.push(dest);
  store.lines.push(`wrote ${join(STORE_NAME, basename(dirname(dest)), basename(dest))}`);
}

/** What an install wrote into the store: `made` is taken away again when the install is refused. */
interface StoreWrites {
  made: string[];
  lines: string[];
}

/** Whether launchers held the bytes an install wants (by path and those bytes' digest). */
const heldLaunchers = new SignatureMemo<boolean>();

async function holdsBytes(path: string, bytes: Buffer, digest: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile() || info.size !== bytes.length || (info.mode & 0o7777) !== 0o755) return false;
  return heldLaunchers.get(`${path}\0${digest}`, statSignature(info), async () => (await readFile(path)).equals(bytes));
}

async function readLauncher(shimFile: string): Promise<Buffer> {
  try {
    return await readFile(shimFile);
  } catch (e) {
    throw new InstallError(`the launcher ${shimFile} cannot be read (${messageOf(e)}): npm run build makes it, with gcc; or give --from a directory that holds tscni-shim`);
  }
}

async function stageBundleForm(r: BinariesRequest, staged: Staged[], after: (() => Promise<string | undefined>)[], answers: Answers, store: StoreWrites): Promise<void> {
  const launcher = await readLauncher(r.shimFile);
  // With the script's path, this names a launcher's bytes exactly.
  const launcherDigest = createHash("sha256").update(launcher).digest("hex");
  await mkdir(storeDir(r.binDir), { mode: 0o755 }).catch(ignoreExisting);
  if (!(await lstat(storeDir(r.binDir))).isDirectory()) throw new InstallError(`${storeDir(r.binDir)} is not a directory (a link or a file is in the way): remove it and install again`);
  for (const plugin of r.plugins) {
    const src = join(r.bundleDir, plugin);
    await requireFile(src, `plugin ${plugin}`);
    const entry = join(storeDir(r.binDir), createHash("sha256").update(await readFile(src)).digest("hex").slice(0, 16));
    const script = join(entry, plugin);
    const wroteBefore = store.lines.length;
    // The script and its cache go into the store first, under a name no launcher execs yet.
    if (await mkdir(entry, { mode: 0o755 }).then(() => true, ignoreExisting)) store.made.push(entry);
    await putInStore(src, script, 0o755, store);
    const srcCache = src + CODE_CACHE_SUFFIX;
    if (await stat(srcCache).then((s) => s.isFile(), () => false)) await putInStore(srcCache, script + CODE_CACHE_SUFFIX, 0o644, store);
    // Durable before any launcher names it: after a crash a launcher never points at a script that was lost.
    if (store.lines.length > wroteBefore) await syncDirectory(entry);
    const dest = join(r.binDir, plugin);
    const bytes = launcherFor(launcher, script);
    if (!(await holdsBytes(dest, bytes, `${launcherDigest}:${script}`))) {
      const tmp = await stageFile(dest, (t) => writeFile(t, bytes, { flag: "wx" }), 0o755);
      try {
        await smoke(tmp, plugin, answers);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      staged.push({ tmp, dest, action: `wrote ${plugin}` });
    }
    // A cache beside the plugin's name is from before launchers: nothing reads it now.
    after.push(() => removeIfPresent(dest + CODE_CACHE_SUFFIX, `removed stale ${plugin}${CODE_CACHE_SUFFIX}`));
  }
  if (store.made.length) await syncDirectory(storeDir(r.binDir));
  // Back from the SEA form: the multi-call binary goes once no link in the directory uses it.
  after.push(() => removeUnusedMulticall(r.binDir));
}

function ignoreExisting(e: NodeJS.ErrnoException): false {
  if (e.code === "EEXIST") return false;
  throw e;
}

async function stageSeaForm(r: BinariesRequest, staged: Staged[], after: (() => Promise<string | undefined>)[], answers: Answers): Promise<void> {
  await requireFile(r.seaFile, "the multi-call binary");
  const dest = join(r.binDir, MULTICALL_NAME);
  if (!(await isExecutableCopy(r.seaFile, dest))) {
    // Each applet answers VERSION from the temporary name: the SEA dispatches on argv[0], not its file name.
    staged.push(
      await stageCopy(r.seaFile, dest, 0o755, `wrote ${MULTICALL_NAME}`, async (tmp) => {
        for (const plugin of r.plugins) await smoke(tmp, plugin, answers, plugin);
      }),
    );
  } else {
    // Unchanged binary, but perhaps a plugin it does not provide was asked for: refuse before linking it.
    // (A plugin already linked to it passed this when it was linked: a --watch check execs nothing.)
    for (const plugin of r.plugins) if (!(await linksTo(join(r.binDir, plugin), MULTICALL_NAME))) await smoke(dest, plugin, answers, plugin);
  }
  for (const plugin of r.plugins) {
    const link = join(r.binDir, plugin);
    if (!(await linksTo(link, MULTICALL_NAME))) staged.push(await stageLink(MULTICALL_NAME, link, `linked ${plugin} -> ${MULTICALL_NAME}`));
    after.push(() => removeIfPresent(link + CODE_CACHE_SUFFIX, `removed stale ${plugin}${CODE_CACHE_SUFFIX}`));
  }
}

async function removeIfPresent(path: string, action: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return undefined;
  await rm(path, { force: true });
  return action;
}

export async function removeUnusedMulticall(binDir: string): Promise<string | undefined> {
  const multicall = join(binDir, MULTICALL_NAME);
  if (!(await lstat(multicall).catch(() => undefined))) return undefined;
  for (const name of await readdir(binDir)) {
    if (await linksTo(join(binDir, name), MULTICALL_NAME)) return undefined;
  }
  return removeIfPresent(multicall, `removed unused ${MULTICALL_NAME}`);
}

/**
 * Puts the plugins' binaries into the bin dir. Every new file is staged under a
 * hidden temporary name, fsynced and (executables) smoke-tested with VERSION
 * first; only when all of them pass are they renamed into place, so a refused
 * binary leaves the directory exactly as it was. A rename replaces the directory
 * entry in one step: a concurrent exec runs the complete old file or the
 * complete new one. Files whose bytes are already in place are not touched.
 */
export async function installBinaries(r: BinariesRequest): Promise<InstalledBinaries> {
  const staged: Staged[] = [];
  const after: (() => Promise<string | undefined>)[] = [];
  const answers: Answers = new Map();
  /** Store entries this run added: no launcher names them until the renames, so a refusal takes them away. */
  const store: StoreWrites = { made: [], lines: [] };
  const names = [...((await readRecord(r.binDir))?.plugins ?? []), ...r.plugins];
  const launchedBefore = await launchedEntries(r.binDir, names);
  try {
    if (r.form === "sea") await stageSeaForm(r, staged, after, answers);
    else await stageBundleForm(r, staged, after, answers, store);
  } catch (e) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    for (const path of store.made.reverse()) await rm(path, { recursive: true, force: true });
    throw e;
  }
  const actions = store.lines;
  try {
    for (const s of staged) {
      await rename(s.tmp, s.dest);
      actions.push(s.action);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw new InstallError(`cannot rename into ${r.binDir}: ${messageOf(e)}`);
  }
  if (staged.length) await syncDirectory(r.binDir);
  for (const step of after) {
    const done = await step();
    if (done) actions.push(done);
  }
  actions.push(...(await pruneStore(r.binDir, await launchedEntries(r.binDir, names), launchedBefore)));
  return { actions, versions: answers };
}

/** Leftovers of an install that was killed between staging and rename: `.<name>.tmp-<pid>-<hex>`. */
const TEMP_NAME = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Removes temporary files an interrupted install of these names left behind (older than a minute). */
export async function sweepTemporaries(dir: string, names: readonly string[]): Promise<string[]> {
  const ours = new Set(names.flatMap((n) => [n, n + CODE_CACHE_SUFFIX]));
  const removed: string[] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const m = TEMP_NAME.exec(entry);
    if (!m || !ours.has(m[1]!) || Number(m[2]) === process.pid) continue;
    const info = await lstat(join(dir, entry)).catch(() => undefined);
    if (!info || Date.now() - info.mtimeMs < 60_000) continue;
    await rm(join(dir, entry), { force: true });
    removed.push(`removed leftover ${entry}`);
  }
  return removed;
}
