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
import { accessSync, closeSync, constants, openSync } from "node:fs";
import { CniError, ErrorCode } from "@tscni/types";

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

/** Waits for an exclusive lock on `path` (created if missing, mode 0644). */
export async function lockFile(path: string, opts: LockOptions = {}): Promise<FileLock> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const program = opts.flockPath ?? (flockProgram ??= findFlock());
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o644);
  } catch (e) {
    throw new CniError(ErrorCode.IOFailure, `cannot open lock file ${path}`, (e as Error).message);
  }
  const seconds = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
  // No pipes: stdio streams would load net and stream machinery for nothing (~2 ms per exec);
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
