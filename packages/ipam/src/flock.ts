/**
 * An exclusive flock(2) on a file, from Node, which has no flock call.
 *
 * We open the file ourselves and hand that descriptor to `flock -x 3` as the
 * child's fd 3: a flock belongs to the open file description, which parent and
 * child share, so the lock stays ours after the child exits and is released
 * when we close the descriptor, or by the kernel when this process dies
 * (SIGKILL included), so a crashed holder never blocks the next one.
 * It is the same lock Go's host-local takes on `<dataDir>/<network>/lock`.
 * In the tscni daemon, a spawner process takes it on the same descriptor
 * instead (fetched with pidfd_getfd), which spares a fork of the daemon.
 */
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, fstatSync, lstatSync, openSync } from "node:fs";
import { basename, dirname, resolve as resolvePath } from "node:path";
import { CniError, ErrorCode, isCniError } from "@tscni/types";
import { spawnHost } from "@tscni/types/spawn-host";
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
  /**
   * In a process with several holders of this lock at once: how long the lock may
   * pass from one to the next before it is released for other processes and
   * taken again (default 100 ms). See `Line` below.
   */
  holdMs?: number;
  /**
   * In such a process, how long the lock stays taken after the last holder
   * released it, for the next request (default 10 ms, never past `holdMs`).
   */
  lingerMs?: number;
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

/**
 * Spawns flock(1) on a fresh descriptor of `path`: resolves with the locked
 * descriptor, or rejects (code 11 after `timeoutMs`, code 5 otherwise).
 */
async function takeFlock(path: string, program: string | undefined, timeoutMs: number, label: string): Promise<number> {
  const host = program === undefined ? spawnHost() : undefined;
  if (host?.lock) {
    // In the daemon: a spawner takes the flock on this very descriptor, without a fork of the daemon for flock(1).
    const fd = openLockFile(path);
    const o = await host.lock(fd, timeoutMs).catch((e: Error) => ({ kind: "unavailable" as const, why: e.message }));
    if (o.kind === "locked") return fd;
    closeSync(fd);
    if (o.kind === "timed-out") throw timedOut(path, label, "another plugin process holds it");
  }
  const flock = program ?? (flockProgram ??= findFlock());
  const fd = openLockFile(path);
  const seconds = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
  // No pipes: stdio streams would load net and stream machinery for nothing, at every exec;
  // flock's own message, if any, goes to our stderr, which is the runtime's log.
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    const child = spawn(flock, ["-x", "-w", seconds, "3"], { stdio: ["ignore", "ignore", "inherit", fd], env: {} });
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("exit", (code) => resolve({ code }));
  });
  if (outcome.code === 0) return fd;
  closeSync(fd);
  if (outcome.code === 1 && !outcome.error) throw timedOut(path, label, "another plugin process holds it");
  throw new CniError(ErrorCode.IOFailure, `cannot lock ${path}`, outcome.error?.message ?? `${flock} exited with status ${outcome.code}`);
}

function timedOut(path: string, seconds: string, holder: string): CniError {
  return new CniError(ErrorCode.TryAgainLater, `timed out after ${seconds}s waiting for the lock on ${path}`, holder);
}

/**
 * One process's line for one lock file. A long-lived process (the daemon)
 * serves many requests for one network at once; spawning flock(1) for each
 * would cost ~10 ms a request. Instead the holders of this process queue here
 * in arrival order, and while the queue is not empty the locked descriptor
 * passes from one holder to the next without being released. It is released
 * when the queue empties, and also once it has been held `holdMs` (then taken
 * again by a new flock(1)): a process waiting in flock(2) is woken by that
 * release and gets the lock before our new flock(1) has even started, so
 * other processes wait at most `holdMs` plus one holder's work.
 * Requests through shims come in bursts with gaps of a few ms (the shims'
 * execs), so once holders have queued in this process the flock also stays
 * taken `lingerMs` after the queue empties (never past `holdMs`): a request
 * arriving then gets it without a flock(1). A process with one request (an
 * exec'd plugin) never queues and never lingers: open, flock(1), close, as
 * before.
 */
interface Waiter {
  readonly program: string | undefined;
  readonly holdMs: number;
  readonly lingerMs: number;
  readonly deadline: number;
  readonly label: string;
  readonly grant: (lock: FileLock) => void;
  readonly fail: (error: unknown) => void;
  timer?: NodeJS.Timeout;
}

interface Line {
  readonly path: string;
  readonly queue: Waiter[];
  /** The locked descriptor, while this process holds the flock. */
  fd: number | undefined;
  takenAt: number;
  holdMs: number;
  lingerMs: number;
  /** A holder has it, or a flock(1) is being taken for the head of the queue. */
  busy: boolean;
  /** Releases the flock after the linger, unless a holder came. */
  linger: NodeJS.Timeout | undefined;
}

const lines = new Map<string, Line>();

const DEFAULT_HOLD_MS = 100;
const DEFAULT_LINGER_MS = 10;

/** Set once two holders of one lock overlapped: this process serves many requests. */
let longLived = false;

/** Waits for an exclusive lock on `path` (created if missing, mode 0644; a link or other non-regular file: code 11). */
export function lockFile(path: string, opts: LockOptions = {}): Promise<FileLock> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const key = resolvePath(path);
  let line = lines.get(key);
  if (!line) lines.set(key, (line = { path, queue: [], fd: undefined, takenAt: 0, busy: false, linger: undefined, holdMs: 0, lingerMs: 0 }));
  const queue = line.queue;
  return new Promise<FileLock>((grant, fail) => {
    const label = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
    const waiter: Waiter = {
      program: opts.flockPath,
      holdMs: opts.holdMs ?? DEFAULT_HOLD_MS,
      lingerMs: opts.lingerMs ?? DEFAULT_LINGER_MS,
      deadline: Date.now() + timeoutMs,
      label,
      grant,
      fail,
    };
    if (line.busy) longLived = true;
    queue.push(waiter);
    waiter.timer = setTimeout(() => {
      const at = queue.indexOf(waiter);
      if (at < 0) return;
      queue.splice(at, 1);
      fail(timedOut(path, label, "another holder in this process has it"));
    }, timeoutMs);
    next(key, line);
  });
}

/** Gives the lock to the head of the queue, or releases the flock when nobody in this process waits. */
function next(key: string, line: Line): void {
  if (line.busy) return;
  clearTimeout(line.linger);
  line.linger = undefined;
  const waiter = line.queue.shift();
  if (!waiter) {
    idle(key, line);
    return;
  }
  clearTimeout(waiter.timer);
  line.busy = true;
  if (line.fd !== undefined && Date.now() - line.takenAt < waiter.holdMs && stillTheFile(line.path, line.fd)) {
    grant(key, line, waiter);
    return;
  }
  dropFlock(line);
  takeFlock(line.path, waiter.program, Math.max(waiter.deadline - Date.now(), 1), waiter.label).then(
    (fd) => {
      line.fd = fd;
      line.takenAt = Date.now();
      line.lingerMs = waiter.lingerMs;
      line.holdMs = waiter.holdMs;
      grant(key, line, waiter);
    },
    (error: unknown) => {
      line.busy = false;
      waiter.fail(error);
      next(key, line);
    },
  );
}

function grant(key: string, line: Line, waiter: Waiter): void {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    line.busy = false;
    next(key, line);
  };
  waiter.grant({ path: line.path, release, [Symbol.dispose]: release });
}

/** Nobody here wants the lock: release it, at once or after the linger. */
function idle(key: string, line: Line): void {
  const lingerMs = Math.min(line.lingerMs, line.takenAt + line.holdMs - Date.now());
  if (longLived && line.fd !== undefined && lingerMs > 0) {
    line.linger = setTimeout(() => {
      line.linger = undefined;
      if (line.busy || line.queue.length > 0) return;
      dropFlock(line);
      lines.delete(key);
    }, lingerMs);
    // A process that is done exits without waiting: the kernel releases the flock then.
    line.linger.unref();
    return;
  }
  dropFlock(line);
  lines.delete(key);
}

function dropFlock(line: Line): void {
  if (line.fd === undefined) return;
  closeSync(line.fd);
  line.fd = undefined;
}

/** The descriptor still locks what the path names: a lock file removed or replaced meanwhile is opened (and checked) anew. */
function stillTheFile(path: string, fd: number): boolean {
  try {
    const named = lstatSync(path);
    const held = fstatSync(fd);
    return named.isFile() && named.ino === held.ino && named.dev === held.dev;
  } catch {
    return false;
  }
}
