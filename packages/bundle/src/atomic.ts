import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, open, rename, rm, stat, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BundleError, errnoOf } from "./errors.js";

/**
 * Files a runtime may exec at any moment are only ever replaced by rename(2):
 * an exec sees the old inode or the new one, never a truncated or still-open
 * file (the ETXTBSY / "exec format error" class of upgrade failures).
 */

/** A fresh name next to `dest`, so the final rename stays within one filesystem. */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

export function destinationError(dest: string, e: unknown): BundleError {
  if (e instanceof BundleError) return e;
  const errno = errnoOf(e);
  const why = errno === "ENOENT" ? "the directory does not exist" : errno ?? String(e);
  return new BundleError(
    "DEST_UNWRITABLE",
    `cannot write ${dest}: ${why} (${(e as Error)?.message ?? e}); choose a writable directory or run with the needed permissions`,
    { cause: e },
  );
}

/** Fails early, before any expensive work, when nothing could be written into `dir`. */
export async function checkWritableDirectory(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw destinationError(dir, e);
  }
}

/** Makes a completed rename durable: the directory entry is on disk, not only the file. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Runs `fill(tmp)` to produce a file at a temporary path next to `dest`, sets the mode and fsyncs it, and returns
 * that path, not yet renamed (an installer smoke-tests it there first). On any failure the temporary file is
 * removed and the error passed on as it came.
 */
export async function stageFile(dest: string, fill: (tmp: string) => Promise<void>, mode = 0o755): Promise<string> {
  const tmp = tempPathFor(dest);
  try {
    await fill(tmp);
    const fh = await open(tmp, "r+");
    try {
      // chmod after writing: the umask applied at creation must not decide the final mode.
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** `stageFile`, then the rename over `dest` and a sync of its directory; `dest` is untouched on any failure. */
export async function replaceAtomically(dest: string, fill: (tmp: string) => Promise<void>, mode = 0o755): Promise<void> {
  let tmp: string | undefined;
  try {
    tmp = await stageFile(dest, fill, mode);
    await rename(tmp, dest);
    await syncDirectory(dirname(dest));
  } catch (e) {
    if (tmp !== undefined) await rm(tmp, { force: true }).catch(() => {});
    throw destinationError(dest, e);
  }
}

export async function writeFileAtomic(dest: string, data: string | Uint8Array, mode = 0o755): Promise<void> {
  await replaceAtomically(
    dest,
    async (tmp) => {
      // "wx": a leftover file of the same name is an error, never something we write through.
      const fh = await open(tmp, "wx", 0o600);
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
    },
    mode,
  );
}

/** Creates or replaces the symlink `link` -> `target` with one rename. */
export async function symlinkAtomic(target: string, link: string): Promise<void> {
  const tmp = tempPathFor(link);
  try {
    await symlink(target, tmp);
    await rename(tmp, link);
    await syncDirectory(dirname(link));
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw destinationError(link, e);
  }
}
