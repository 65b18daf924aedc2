/**
 * The result cache, in Go libcni's layout so a TypeScript runtime and a Go
 * runtime can share one directory: `<cacheDir>/results/<net>-<cid>-<ifname>`
 * holding `{"kind":"cniCacheV1", ...}` (config base64-encoded, as Go encodes
 * byte slices). Written atomically: a reader (or a crash) never sees half a file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod/mini";
import { CniError, ErrorCode, convertResult, parseResult, type AnyResult } from "@tscni/types";
import { isObject } from "./json.js";
import { validateAttachment } from "./names.js";
import type { RuntimeConf } from "./runtime-conf.js";

export const DEFAULT_CACHE_DIR = "/var/lib/cni";
export const CACHE_KIND = "cniCacheV1";
/** Temporary files of a write in progress; never read as entries. */
const TEMP_PREFIX = ".tmp-";

/** One cache file's content, decoded. */
export interface CacheEntry {
  containerId: string;
  ifName: string;
  networkName: string;
  netns?: string;
  /** The raw list (or single plugin) config the attachment was added with. */
  config: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  /** The final ADD result, as the last plugin printed it. */
  result?: Record<string, unknown>;
}

/** A cached attachment as GC and runtimes see it (Go's NetworkAttachment). */
export interface CachedAttachment extends CacheEntry {
  /** The cache file it was read from. */
  file: string;
}

let entrySchemaMemo: ReturnType<typeof buildEntrySchema> | undefined;
function buildEntrySchema() {
  return z.object({
    kind: z.literal(CACHE_KIND),
    containerId: z.string(),
    config: z.optional(z.nullable(z.base64())),
    ifName: z.string(),
    networkName: z.string(),
    netns: z.optional(z.string()),
    cniArgs: z.optional(z.nullable(z.array(z.tuple([z.string(), z.string()])))),
    capabilityArgs: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    result: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  });
}
const entrySchema = () => (entrySchemaMemo ??= buildEntrySchema());

export function resultsDir(cacheDir: string): string {
  return join(cacheDir, "results");
}

/** The cache file of an attachment; the names are validated first, so none can escape the directory. */
export function cacheFilePath(cacheDir: string, networkName: string, containerId: string, ifName: string): string {
  validateAttachment(networkName, containerId, ifName);
  return join(resultsDir(cacheDir), `${networkName}-${containerId}-${ifName}`);
}

/** Writes the entry for an attachment: temp file in the same directory, fsync, rename; mode 0600 in a 0700 dir. */
export async function writeCacheEntry(cacheDir: string, networkName: string, rt: RuntimeConf, config: string, result: AnyResult): Promise<void> {
  const file = cacheFilePath(cacheDir, networkName, rt.containerId, rt.ifName);
  const dir = resultsDir(cacheDir);
  const doc = {
    kind: CACHE_KIND,
    containerId: rt.containerId,
    config: Buffer.from(config, "utf8").toString("base64"),
    ifName: rt.ifName,
    networkName,
    ...(rt.netns && { netns: rt.netns }),
    ...(rt.args?.length && { cniArgs: rt.args.map(([k, v]) => [k, v]) }),
    ...(rt.capabilityArgs && Object.keys(rt.capabilityArgs).length > 0 && { capabilityArgs: rt.capabilityArgs }),
    result,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${TEMP_PREFIX}${networkName}-${rt.containerId}-${rt.ifName}-${randomBytes(6).toString("hex")}`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(JSON.stringify(doc));
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // The rename itself is made durable by syncing the directory.
  const dh = await open(dir, "r").catch(() => undefined);
  if (dh) await dh.sync().catch(() => {}).finally(() => dh.close());
}

export type CacheRead =
  | { kind: "missing" }
  | { kind: "entry"; entry: CacheEntry }
  /** A file from an older libcni: just the result JSON. */
  | { kind: "legacy"; result: Record<string, unknown> }
  | { kind: "corrupt"; reason: string };

/** Reads a cache file without throwing for what is in it: the caller decides what a corrupt file means. */
export async function readCacheFile(file: string): Promise<CacheRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "corrupt", reason: `cannot read ${file}: ${(e as Error).message}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { kind: "corrupt", reason: `${file} is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(doc)) return { kind: "corrupt", reason: `${file} is not a JSON object` };
  if (doc.kind !== CACHE_KIND) return { kind: "legacy", result: doc };
  const parsed = entrySchema().safeParse(doc);
  if (!parsed.success) return { kind: "corrupt", reason: `${file} is not a valid ${CACHE_KIND} entry` };
  const d = parsed.data;
  return {
    kind: "entry",
    entry: {
      containerId: d.containerId,
      ifName: d.ifName,
      networkName: d.networkName,
      ...(d.netns && { netns: d.netns }),
      config: d.config ? Buffer.from(d.config, "base64").toString("utf8") : "",
      ...(d.cniArgs && { cniArgs: d.cniArgs }),
      ...(d.capabilityArgs && { capabilityArgs: d.capabilityArgs }),
      ...(d.result && { result: d.result }),
    },
  };
}

/**
 * The cached ADD result of an attachment, converted to `cniVersion`.
 * undefined when nothing is cached; throws CniError when the file is corrupt
 * or its result cannot be converted.
 */
export async function readCachedResult(cacheDir: string, networkName: string, cniVersion: string, rt: RuntimeConf): Promise<AnyResult | undefined> {
  const file = cacheFilePath(cacheDir, networkName, rt.containerId, rt.ifName);
  const read = await readCacheFile(file);
  if (read.kind === "missing") return undefined;
  if (read.kind === "corrupt") throw new CniError(ErrorCode.DecodingFailure, `cached result is unreadable`, read.reason);
  const raw = read.kind === "legacy" ? read.result : read.entry.result;
  if (raw === undefined) return undefined;
  // An unversioned cached result is taken to be the list's version, as results from plugins are.
  const result = parseResult(raw, { defaultVersion: cniVersion || "0.1.0" });
  return convertResult(result, cniVersion || "0.1.0");
}

/** The cached entry (config, args, capability args) of an attachment; undefined when not cached in V1 form. */
export async function readCacheEntry(cacheDir: string, networkName: string, rt: RuntimeConf): Promise<CacheEntry | undefined> {
  const read = await readCacheFile(cacheFilePath(cacheDir, networkName, rt.containerId, rt.ifName));
  if (read.kind === "corrupt") throw new CniError(ErrorCode.DecodingFailure, `cached config is unreadable`, read.reason);
  return read.kind === "entry" ? read.entry : undefined;
}

export async function deleteCacheEntry(cacheDir: string, networkName: string, rt: RuntimeConf): Promise<void> {
  await rm(cacheFilePath(cacheDir, networkName, rt.containerId, rt.ifName), { force: true });
}

/**
 * Every readable V1 entry under `<cacheDir>/results`, in file-name order,
 * optionally only those of one container. Unreadable, legacy and temporary
 * files are skipped: listing never fails on a bad file.
 */
export async function listCachedAttachments(cacheDir: string, containerId?: string): Promise<CachedAttachment[]> {
  const dir = resultsDir(cacheDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CniError(ErrorCode.IOFailure, `cannot list cached attachments in ${dir}: ${(e as Error).message}`);
  }
  const out: CachedAttachment[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    if (containerId !== undefined && !name.includes(`-${containerId}-`)) continue;
    const file = join(dir, name);
    const read = await readCacheFile(file);
    if (read.kind !== "entry") continue;
    const e = read.entry;
    if (!e.ifName || !e.networkName || !e.containerId) continue;
    if (containerId !== undefined && e.containerId !== containerId) continue;
    out.push({ ...e, file });
  }
  return out;
}

/**
 * Removes temporary files a crashed writer left behind (a write takes
 * milliseconds, so anything older than `olderThanMs` is abandoned). Errors
 * are ignored: this is housekeeping, run by GC.
 */
export async function removeAbandonedTempFiles(cacheDir: string, olderThanMs = 60 * 60 * 1000): Promise<number> {
  const dir = resultsDir(cacheDir);
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const file = join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < olderThanMs) continue;
    await rm(file, { force: true })
      .then(() => removed++)
      .catch(() => {});
  }
  return removed;
}
