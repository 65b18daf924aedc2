import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { BundleError } from "./errors.js";
import { guardLoad } from "./load-guard.js";
import { produceWarmCache, type VersionAnswers, wrapAsFunction } from "./warm-cache.js";

/**
 * A V8 code cache for a script bundle, in a file beside it.
 *
 * The executable stays one self-contained file: its bundle is a string that a
 * small loader compiles with vm.Script, passing the sidecar `<executable>.v8cache`
 * as cachedData when it is there and sound. The cache is made at build time by
 * the same warm-up runs as a SEA's (warm-cache.ts), so it also holds the
 * functions ADD compiles lazily.
 *
 * The loader checks the sidecar before V8 sees it, because V8 does not:
 * - V8 identifies the source of a cache by its length only, so a cache made for
 *   another bundle of the same length would be accepted and run the wrong code.
 *   The sidecar starts with a hash of the bundle, which the loader compares
 *   with its own.
 * - V8 checks no checksum in release builds: a flipped byte crashes the process
 *   (measured: SIGTRAP or SIGSEGV). The sidecar carries a CRC-32 of the cache.
 * V8 itself rejects a cache from another V8 version or with other V8 flags
 * (cachedDataRejected), and the loader then compiles normally.
 *
 * The CRC comes from zlib's native binding through process.binding: loading
 * the public node:zlib module costs ~1.8 ms per exec, about half of what the
 * cache saves, the binding 0.1 ms. Where the binding is missing (it is
 * deprecated, documentation-only in Node 20-24) or lacks crc32 (before 20.15),
 * the cache is not used.
 */

export const CODE_CACHE_SUFFIX = ".v8cache";
/** Sidecar layout: KEY_BYTES of bundle hash (hex), CRC-32 of the rest (uint32 LE), V8's cache. */
const KEY_BYTES = 16;
const HEADER_BYTES = KEY_BYTES + 4;

export function codeCachePathFor(executable: string): string {
  return executable + CODE_CACHE_SUFFIX;
}

function keyOf(wrappedCode: string): string {
  return createHash("sha256").update(wrappedCode).digest("hex").slice(0, KEY_BYTES);
}

/**
 * The executable's text after the #! line. Everything that can go wrong with
 * the sidecar (missing, unreadable, foreign, corrupted, rejected, not a
 * regular file) ends in a normal compile; nothing about it is ever reported.
 * The sidecar is opened with O_NONBLOCK and O_NOFOLLOW and read only when
 * fstat calls it a regular file: a FIFO planted under its name would block a
 * plain open (and so every exec) forever, and a symlink could point anywhere.
 * `guard`: run the bundle inside the load guard (a plugin; load-guard.ts).
 */
export function codeCacheLoader(code: string, o: { guard?: boolean } = {}): string {
  const wrapped = wrapAsFunction(code);
  const run = "new Script(source,cachedData?{filename:__filename,cachedData}:{filename:__filename}).runInThisContext()(exports,require,module,__filename,__dirname)";
  return `{const source=${JSON.stringify(wrapped)};const{Script}=require("node:vm");let cachedData;
try{const fs=require("node:fs"),c=fs.constants,fd=fs.openSync(__filename+${JSON.stringify(CODE_CACHE_SUFFIX)},c.O_RDONLY|c.O_NONBLOCK|c.O_NOFOLLOW);let b;
try{if(fs.fstatSync(fd).isFile())b=fs.readFileSync(fd)}finally{fs.closeSync(fd)}const crc32=process.binding("zlib").crc32;
if(b.length>${HEADER_BYTES}&&b.toString("latin1",0,${KEY_BYTES})===${JSON.stringify(keyOf(wrapped))}&&b.readUInt32LE(${KEY_BYTES})===crc32(b.subarray(${HEADER_BYTES}),0))cachedData=b.subarray(${HEADER_BYTES})}catch{}
${o.guard ? guardLoad(run) : run}}
`;
}

/** The sidecar's bytes for `code`, made by `node` (the Node that will run the executable). */
export async function produceCodeCache(node: string, code: string, applets: readonly string[]): Promise<{ sidecar: Buffer; versions: VersionAnswers }> {
  const work = await mkdtemp(join(tmpdir(), "tscni-code-cache-"));
  try {
    const wrapped = wrapAsFunction(code);
    const { cache, versions } = await produceWarmCache(node, wrapped, join(work, "code.cache"), applets, work);
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(keyOf(wrapped), 0, "latin1");
    header.writeUInt32LE(crc32(cache), KEY_BYTES);
    return { sidecar: Buffer.concat([header, cache]), versions };
  } catch (e) {
    throw new BundleError("BUILD_FAILED", `${node} could not make the code cache: ${(e as Error).message}`, { cause: e });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
