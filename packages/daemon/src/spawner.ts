/**
 * The daemon's spawn host: commands that plugins run (ip, nsenter, nft) go to
 * `tscni-shim --spawner` processes (shim/spawner.c) instead of Node's spawn,
 * which forks the whole daemon (4-6 ms of its one thread at 60-100 MB here).
 * Each spawner runs one command at a time; the pool starts more on demand, up
 * to `max`, and queues beyond that. A spawner that dies fails its own request
 * and is replaced by the next one needed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import type { HostLockOutcome, SpawnHost, SpawnOutcome, SpawnRequest } from "@tscni/types/spawn-host";

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function frame(fields: readonly string[], tail = ""): Buffer {
  for (const f of fields) if (f.includes("\0")) throw new Error(`a command's argument or environment holds a NUL: ${JSON.stringify(f)}`);
  const payload = Buffer.concat([Buffer.from(fields.map((f) => `${f}\0`).join(""), "utf8"), Buffer.from(tail, "utf8")]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

const timeoutField = (ms: number): string => String(Math.max(1, Math.ceil(ms)));

/** Request frame: the fields spawner.c reads, each NUL-terminated, then stdin. */
export function encodeRequest(r: SpawnRequest): Buffer {
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  return frame([timeoutField(r.timeoutMs), String(r.argv.length), ...r.argv, String(env.length), ...env], r.stdin);
}

/** The lock request: argc -1, then the daemon's descriptor. */
export function encodeLockRequest(fd: number, timeoutMs: number): Buffer {
  return frame([timeoutField(timeoutMs), "-1", String(fd)]);
}

/** Answer frame payload (without its length): "STATUS SIGNAL TIMED_OUT ERRNO\0", stdout length, stdout, stderr. */
export function decodeAnswer(payload: Buffer, file: string): SpawnOutcome {
  const nul = payload.indexOf(0);
  const [status, signal, timedOut, errno] = payload.subarray(0, nul).toString("latin1").split(" ").map(Number) as [number, number, number, number];
  const outLen = payload.readUInt32BE(nul + 1);
  const stdout = payload.subarray(nul + 5, nul + 5 + outLen);
  const stderr = payload.subarray(nul + 5 + outLen);
  return {
    status: status >= 0 && !signal ? status : null,
    signal: signal || null,
    timedOut: timedOut === 1,
    ...(errno && { startError: `spawn ${file} ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}` }),
    stdout,
    stderr,
  };
}

interface Pending {
  frame: Buffer;
  /** Takes the answer's payload. */
  answer: (payload: Buffer) => void;
  reject: (e: Error) => void;
}

class Spawner {
  readonly child: ChildProcess;
  #current: Pending | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #dead: Error | undefined;

  constructor(path: string, onIdle: (s: Spawner) => void, onDeath: (s: Spawner) => void) {
    this.child = spawn(path, ["--spawner"], { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdin!.on("error", () => {});
    this.child.stdout!.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      if (this.#buffer.length < 4) return;
      const len = this.#buffer.readUInt32BE(0);
      if (this.#buffer.length < 4 + len) return;
      const payload = this.#buffer.subarray(4, 4 + len);
      this.#buffer = this.#buffer.subarray(4 + len);
      const done = this.#current;
      this.#current = undefined;
      if (done) done.answer(payload);
      onIdle(this);
    });
    const die = (why: string) => {
      if (this.#dead) return;
      this.#dead = new Error(`the daemon's command runner ${path} ${why}`);
      this.#current?.reject(this.#dead);
      this.#current = undefined;
      onDeath(this);
    };
    this.child.on("error", (e) => die(`could not start: ${e.message}`));
    this.child.on("exit", (code, signal) => die(`exited (${signal ?? `status ${code}`})`));
  }

  get busy(): boolean {
    return this.#current !== undefined || this.#dead !== undefined;
  }

  run(p: Pending): void {
    this.#current = p;
    try {
      this.child.stdin!.write(p.frame);
    } catch (e) {
      this.#current = undefined;
      p.reject(e as Error);
    }
  }

  stop(): void {
    this.child.stdin!.end();
  }
}

export class SpawnerPool implements SpawnHost {
  readonly #path: string;
  readonly #max: number;
  readonly #spawners = new Set<Spawner>();
  readonly #queue: Pending[] = [];
  /** Why locks cannot be taken here (no ptrace rights over this process, an old kernel): then never asked again. */
  #lockUnavailable: string | undefined;

  constructor(path: string, max = 8) {
    this.#path = path;
    this.#max = max;
  }

  run(request: SpawnRequest): Promise<SpawnOutcome> {
    return this.#send(encodeRequest(request), (payload) => decodeAnswer(payload, request.argv[0]!));
  }

  /** flock(2) on our descriptor `fd` by a spawner, which fetches it with pidfd_getfd(2) (spawner.c). */
  async lock(fd: number, timeoutMs: number): Promise<HostLockOutcome> {
    if (this.#lockUnavailable) return { kind: "unavailable", why: this.#lockUnavailable };
    const o = await this.#send(encodeLockRequest(fd, timeoutMs), (payload) => decodeAnswer(payload, "pidfd_getfd"));
    if (o.status === 0) return { kind: "locked" };
    if (o.timedOut) return { kind: "timed-out" };
    const why = o.startError ?? `status ${o.status}`;
    if (/EPERM|ENOSYS|EACCES/.test(why)) this.#lockUnavailable = why;
    return { kind: "unavailable", why };
  }

  #send<T>(frame: Buffer, decode: (payload: Buffer) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ frame, answer: (payload) => resolve(decode(payload)), reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length) {
      let idle = [...this.#spawners].find((s) => !s.busy);
      if (!idle && this.#spawners.size < this.#max) {
        idle = new Spawner(this.#path, () => this.#dispatch(), (s) => {
          this.#spawners.delete(s);
          this.#dispatch();
        });
        this.#spawners.add(idle);
      }
      if (!idle) return;
      idle.run(this.#queue.shift()!);
    }
  }

  /** Ends every spawner (each finishes the command it runs, then sees EOF). */
  close(): void {
    for (const s of this.#spawners) s.stop();
    this.#spawners.clear();
  }
}
