/**
 * Process plumbing for pluginMain, chosen for start-up cost: every runtime
 * exec pays for it. process.stdin/stdout/stderr are streams that, on a pipe,
 * build a net.Socket, which costs milliseconds per exec where plain fd reads
 * and writes cost a fraction of one (skel README, "Cost"). The streams are
 * used only where a read must be abandoned (VERSION's bounded wait).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import type { Readable } from "node:stream";

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Blocks the thread briefly; used only while a non-blocking fd has no room. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Everything on `fd` up to EOF, synchronously. Returns undefined when the fd
 * is non-blocking (EAGAIN), so the caller can read it as a stream instead.
 */
export function readFdSync(fd: number): Buffer | undefined {
  try {
    if (fstatSync(fd).isFile()) return readFileSync(fd);
  } catch (e) {
    // A closed fd 0 means "nothing on stdin", not a failure.
    if (errnoCode(e) === "EBADF") return Buffer.alloc(0);
    throw e;
  }
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      if (errnoCode(e) === "EAGAIN" && chunks.length === 0) return undefined;
      if (errnoCode(e) === "EAGAIN") {
        pause(1);
        continue;
      }
      if (errnoCode(e) === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/**
 * What fd 0 holds, read without blocking and without a stream, when its writer
 * has already finished (VERSION's usual case: the runtime writes the config and
 * closes). Opening /proc/self/fd/0 anew gives a file description of its own, so
 * O_NONBLOCK there leaves the one shared with the parent untouched. `done` is
 * false when the writer is still open (EAGAIN) or the fd cannot be reopened (a
 * socket); the caller then reads the rest as a stream, after `data`.
 */
export function readFinishedStdin(path = "/proc/self/fd/0"): { data: Buffer; done: boolean } {
  const chunks: Buffer[] = [];
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return { data: Buffer.alloc(0), done: false };
  }
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return { data: Buffer.concat(chunks), done: true };
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
  } catch {
    return { data: Buffer.concat(chunks), done: false };
  } finally {
    closeSync(fd);
  }
}

/** Everything a stream yields; when `signal` aborts, what has arrived so far, and the stream is destroyed. */
export function readStream(stream: Readable, signal?: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks));
    signal?.addEventListener(
      "abort",
      () => {
        stream.destroy();
        done();
      },
      { once: true },
    );
    stream.on("data", (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
    stream.once("end", done);
    stream.once("error", reject);
  });
}

/** Writes all of `text` to `fd`, waiting out EAGAIN on a non-blocking pipe. */
export function writeFdSync(fd: number, text: string): void {
  let data = Buffer.from(text, "utf8");
  while (data.length > 0) {
    try {
      const n = writeSync(fd, data);
      data = data.subarray(n);
    } catch (e) {
      if (errnoCode(e) !== "EAGAIN") throw e;
      pause(1);
    }
  }
}

/**
 * A file descriptor (fd 0) as a StdinSource. A full read (every verb but
 * VERSION) is a plain blocking read. VERSION passes options (a signal) because it may
 * stop waiting: a file or an already finished pipe is read at once, and only
 * a stdin still open for writing is read as a stream, which can be abandoned.
 */
export function fdStdin(
  fd = 0,
  reopenPath = "/proc/self/fd/0",
  stream: () => Readable = () => process.stdin,
): (options?: { signal?: AbortSignal }) => Promise<Buffer> {
  return async (options) => {
    // Read `options.signal` only on the way to a stream: the caller may build it on demand.
    if (!options) return readFdSync(fd) ?? readStream(stream());
    let isFile: boolean;
    try {
      isFile = fstatSync(fd).isFile();
    } catch {
      return Buffer.alloc(0);
    }
    if (isFile) return readFileSync(fd);
    // Usually complete already: then no stream (and its start-up cost) is built at all.
    const { data, done } = readFinishedStdin(reopenPath);
    if (done) return data;
    return Buffer.concat([data, await readStream(stream(), options.signal)]);
  };
}

interface StdoutOwner {
  stdout: unknown;
  stderr: unknown;
}

/**
 * Points process.stdout, and console's own cached stdout, at stderr: from now
 * on console.log and process.stdout.write from any code land on stderr. The
 * real stdout stream is never built. (Code writing to fd 1 directly, as some
 * loggers do, cannot be caught by any JavaScript-level redirection.)
 */
export function redirectStdoutToStderr(proc: StdoutOwner = process, cons: object = console): void {
  const toStderr = { configurable: true, enumerable: true, get: () => proc.stderr, set: () => {} };
  const own = Object.getOwnPropertyDescriptor(proc, "stdout");
  if (own === undefined || own.configurable) {
    Object.defineProperty(proc, "stdout", toStderr);
  }
  // console binds its stream on first use; if that already happened, this rebinding catches it.
  const bound = Object.getOwnPropertyDescriptor(cons, "_stdout");
  if (bound === undefined || bound.configurable) {
    Object.defineProperty(cons, "_stdout", { ...toStderr, enumerable: false });
  }
}
