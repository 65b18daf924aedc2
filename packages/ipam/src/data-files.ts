/**
 * The only way the store touches files in its data directory. Anyone with
 * write access to the directory can plant a symbolic link, a directory or a
 * FIFO under a name the store uses, so:
 *
 * - nothing is opened unless `lstat` says it is a regular file, and the open
 *   itself refuses links and never blocks (O_NOFOLLOW|O_NONBLOCK), with fstat
 *   confirming what was opened: a FIFO never hangs a verb;
 * - every file is created complete under an unpredictable temporary name
 *   (O_CREAT|O_EXCL|O_NOFOLLOW), then given its name with link(2) (fails if
 *   the name exists) or rename(2) (replaces the entry itself): neither follows
 *   a link at the destination, so no write leaves the directory;
 * - one file is rewritten in place (`overwriteFile`, for `last_reserved_ip.N`),
 *   and only when the descriptor opened as above is a regular file with no
 *   other name: a hard link planted to a file elsewhere is replaced, never written;
 * - nothing is removed unless it is a regular file.
 *
 * Node has no openat(2), so the directories on the way are checked by path
 * (`assertDirectory`) and trusted once checked.
 */
import {
  type Stats,
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { CniError, ErrorCode } from "@tscni/types";

/** What is under a name: nothing, a regular file with its content, or something the store must not touch. */
export type Entry = { kind: "missing" } | { kind: "file"; content: string } | { kind: "other"; what: string };

const MISSING: Entry = { kind: "missing" };

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
    throw e;
  }
}

function describeType(st: Stats): string {
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "a device";
}

/** Reads `path` if it is a regular file; never follows a link, never blocks on a FIFO. */
export function readEntry(path: string): Entry {
  const st = lstatOrUndefined(path);
  if (!st) return MISSING;
  if (!st.isFile()) return { kind: "other", what: describeType(st) };
  return readOpened(path);
}

/** As readEntry, for a name the directory listing just called a regular file (`regularFilesIn`): no second lstat. */
export function readListedFile(path: string): Entry {
  return readOpened(path);
}

/** Opens without following a link or blocking, and reads only what fstat calls a regular file. */
function readOpened(path: string): Entry {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (errno(e) === "ENOENT") return MISSING;
    if (errno(e) === "ELOOP") return { kind: "other", what: "a symbolic link" };
    if (errno(e) === "ENXIO") return { kind: "other", what: "a special file" };
    throw e;
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return { kind: "other", what: describeType(opened) };
    // Reservation files are a few dozen bytes: one read of the size fstat gave, a loop for the odd short read.
    const buf = Buffer.allocUnsafe(opened.size);
    let got = 0;
    for (let n = -1; got < buf.length && n !== 0; got += n) n = readSync(fd, buf, got, buf.length - got, null);
    return { kind: "file", content: buf.toString("utf8", 0, got) };
  } finally {
    closeSync(fd);
  }
}

/** Whether anything at all (a dangling link included) is under `path`. */
export function entryExists(path: string): boolean {
  return lstatOrUndefined(path) !== undefined;
}

/** The names in a directory whose entries are regular files; none when it does not exist. */
export function regularFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);
  } catch (e) {
    if (errno(e) === "ENOENT") return [];
    throw e;
  }
}

/** A directory's names, and which of them the listing calls regular files: one getdents pass for both questions. */
export interface Listing {
  readonly names: readonly string[];
  readonly regularFiles: readonly string[];
}

/** Lists `dir` once (`namesIn` and `regularFilesIn` together); empty when it does not exist. */
export function listDirectory(dir: string): Listing {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return { names: entries.map((d) => d.name), regularFiles: entries.filter((d) => d.isFile()).map((d) => d.name) };
  } catch (e) {
    if (errno(e) === "ENOENT") return { names: [], regularFiles: [] };
    throw e;
  }
}

/** Every name in a directory, of any type; none when it does not exist. */
export function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (errno(e) === "ENOENT") return [];
    throw e;
  }
}

/** Unlinks `path` only if it is a regular file; true when it was removed. */
export function removeFile(path: string): boolean {
  if (!lstatOrUndefined(path)?.isFile()) return false;
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if (errno(e) === "ENOENT") return false;
    throw e;
  }
}

/**
 * Refuses (code 11, naming it) a directory of the store that is a link or not
 * a directory: every file the store creates must stay inside the data directory.
 * True when it is a directory, false when nothing is there.
 */
export function assertDirectory(path: string): boolean {
  const st = lstatOrUndefined(path);
  if (st && !st.isDirectory()) {
    throw new CniError(ErrorCode.TryAgainLater, `${path} is ${describeType(st)}, not a directory; refusing to use it`, "remove it or fix the data directory");
  }
  return st !== undefined;
}

/** Refuses (code 11, naming it) anything but a regular file or nothing at `path`, where the store keeps one of its files. */
export function assertFileOrMissing(path: string): void {
  const st = lstatOrUndefined(path);
  if (st && !st.isFile()) {
    throw new CniError(
      ErrorCode.TryAgainLater,
      `${path} is ${describeType(st)}, not a regular file; refusing to follow or replace it`,
      "remove it; the store recreates the file",
    );
  }
}

/** `.tmp-<pid>-<random>`; a counter in place of the random bits: files left by earlier versions. */
const TEMPORARY = /^\.tmp-(\d+)-(?:[0-9a-f]{16}|\d+)$/;

/** A temporary name nobody can guess: our pid (for the leftover sweep) and 64 random bits. */
function temporaryName(): string {
  return `.tmp-${process.pid}-${Buffer.from(randomBits()).toString("hex")}`;
}

/**
 * 8 bytes from the kernel's CSPRNG. Read from /dev/urandom: loading node:crypto
 * and seeding OpenSSL would add a large share to every plugin exec's CPU time
 * (`npm run bench ipam`), for 8 bytes.
 */
function randomBits(): Uint8Array {
  const buf = new Uint8Array(8);
  try {
    const fd = openSync("/dev/urandom", constants.O_RDONLY);
    try {
      if (readSync(fd, buf, 0, buf.length, null) === buf.length) return buf;
    } finally {
      closeSync(fd);
    }
  } catch {
    // no /dev/urandom (an unusual chroot): Web Crypto below
  }
  return globalThis.crypto.getRandomValues(buf);
}

/** Writes `content` to a new file under a fresh temporary name in `dir`; returns its path. */
function writeTemporary(dir: string, content: string): string {
  const path = join(dir, temporaryName());
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, content);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw e;
  }
  closeSync(fd);
  return path;
}

/** Creates `<dir>/<name>` with its content in one step; false when anything is already under that name. */
export function createFile(dir: string, name: string, content: string): boolean {
  const tmp = writeTemporary(dir, content);
  try {
    linkSync(tmp, join(dir, name));
    return true;
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Replaces `<dir>/<name>` with a new file in one step. The caller has checked
 * that what is there is a regular file; if it was swapped for a link since,
 * the link itself is replaced, never its target. False when a directory took its place.
 */
export function replaceFile(dir: string, name: string, content: string): boolean {
  const tmp = writeTemporary(dir, content);
  try {
    renameSync(tmp, join(dir, name));
    return true;
  } catch (e) {
    unlinkSync(tmp);
    if (errno(e) === "EISDIR" || errno(e) === "ENOTEMPTY" || errno(e) === "EEXIST") return false;
    throw e;
  }
}

/**
 * Overwrites `path` in place when it is a regular file with no other name
 * (opened without following a link or blocking, then fstat-checked, as reads
 * are); false when it is anything else or cannot be opened, for the caller to
 * fall back on `replaceFile`. A file with a second hard link is never written:
 * that link may have been planted to a file outside the data directory.
 * For a file rewritten at every ADD (`last_reserved_ip.N`, which Go also
 * writes in place): a rename over an existing file makes ext4 flush the new
 * file's data first, which with the temporary file's creation took ~0.25 ms of
 * the ADD's critical section against ~20 µs in place.
 */
export function overwriteFile(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1) return false;
    const buf = Buffer.from(content, "utf8");
    for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, done);
    // Truncating to zero would make ext4 flush on close, as the rename did; the new length never is zero.
    if (st.size !== buf.length) ftruncateSync(fd, buf.length);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes temporary files of `dir` left by a process killed mid-write: their
 * writer (the pid in the name) is gone, or they are older than a minute (the
 * pid was reused). They otherwise live for microseconds.
 */
export function sweepTemporaries(dir: string): void {
  const cutoff = Date.now() - 60_000;
  for (const name of regularFilesIn(dir)) {
    const writer = TEMPORARY.exec(name)?.[1];
    if (writer === undefined) continue;
    const st = lstatOrUndefined(join(dir, name));
    if (st?.isFile() && (st.mtimeMs < cutoff || !processAlive(Number(writer)))) removeFile(join(dir, name));
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === "EPERM";
  }
}
