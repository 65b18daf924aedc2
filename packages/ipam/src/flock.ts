/**
 * An exclusive flock(2) on a file, from Node, which has no flock call.
 *
 * We open the file ourselves and hand that descriptor to `flock -x 3` as the
 * child's fd 3: a flock belongs to the open file description, which parent and
 * child share, so the lock stays ours after the child exits and is released
 * when we close the descriptor, or by the kernel when this process dies
 * (SIGKILL included), so a crashed holder never blocks the next one.
 * It is the same lock Go's host-local takes on `<dataDir>/<network>/lock`.
 */
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, fstatSync, openSync } from "node:fs";
import { basename, dirname } from "node:path";
import { CniError, ErrorCode, isCniError } from "@tscni/types";
import { assertFileOrMissing, createFile, entryExists } from "./data-files.js";

export interface FileLock extends Disposable {
  readonly path: string;
  release(): void;
}

export interface LockOptions {
  /** Give up after this long (code 11, try again later). Default 60 s. */
  timeoutMs?: number;
  /** The flock(1) program; default the first of /usr/bin/flock, /bin/flock, /usr/local/bin/flock. */
  flockPath?: string;
}

// Runtimes exec plugins with a minimal environment (often no PATH), so look in the usual places.
const FLOCK_CANDIDATES = ["/usr/bin/flock", "/bin/flock", "/usr/local/bin/flock"];

function findFlock(): string {
  for (const candidate of FLOCK_CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new CniError(ErrorCode.IOFailure, "flock(1) not found", `looked in ${FLOCK_CANDIDATES.join(", ")}; install util-linux`);
}

let flockProgram: string | undefined;

/**
 * Opens the lock file, creating it if missing, without following a link or
 * blocking on a FIFO: anything but a regular file there is code 11 naming it.
 */
function openLockFile(path: string): number {
  try {
    assertFileOrMissing(path);
    if (!entryExists(path)) createFile(dirname(path), basename(path), "");
  } catch (e) {
    if (isCniError(e)) throw e;
    throw new CniError(ErrorCode.IOFailure, `cannot open lock file ${path}`, (e as Error).message);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP") throw swapped(path);
    throw new CniError(ErrorCode.IOFailure, `cannot open lock file ${path}`, (e as Error).message);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw swapped(path);
  }
  return fd;
}

function swapped(path: string): CniError {
  return new CniError(ErrorCode.TryAgainLater, `${path} is not a regular file; refusing to follow or lock it`, "it changed while being opened");
}

/** Waits for an exclusive lock on `path` (created if missing, mode 0644; a link or other non-regular file: code 11). */
export async function lockFile(path: string, opts: LockOptions = {}): Promise<FileLock> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const program = opts.flockPath ?? (flockProgram ??= findFlock());
  const fd = openLockFile(path);
  const seconds = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
  // No pipes: stdio streams would load net and stream machinery for nothing, at every exec;
  // flock's own message, if any, goes to our stderr, which is the runtime's log.
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    const child = spawn(program, ["-x", "-w", seconds, "3"], { stdio: ["ignore", "ignore", "inherit", fd], env: {} });
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("exit", (code) => resolve({ code }));
  });
  if (outcome.code !== 0) {
    closeSync(fd);
    if (outcome.code === 1 && !outcome.error) {
      throw new CniError(
        ErrorCode.TryAgainLater,
        `timed out after ${seconds}s waiting for the lock on ${path}`,
        "another plugin process holds it",
      );
    }
    throw new CniError(ErrorCode.IOFailure, `cannot lock ${path}`, outcome.error?.message ?? `${program} exited with status ${outcome.code}`);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    closeSync(fd);
  };
  return { path, release, [Symbol.dispose]: release };
}
