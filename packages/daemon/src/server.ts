/**
 * The daemon: one Node process serving CNI invocations for many plugins over
 * a unix socket (protocol.ts). Each request runs the plugin bundle's own
 * dispatch with the request's environment and stdin, so an answer is what an
 * exec of that bundle would have printed.
 *
 * Isolation between requests: dispatch reads only the injected env, stdin and
 * writers; an exception or rejection nothing caught is attributed to its
 * request through AsyncLocalStorage and fails that request alone (code 999);
 * a handler that never settles is answered 999 after the timeout.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readlinkSync } from "node:fs";
import { lstat, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Socket as NetSocket } from "node:net";
import type { Socket } from "node:net";
import { basename, dirname, join } from "node:path";
import { INVOCATION_HOST_KEY } from "@tscni/invoke";
import type { InvocationHost } from "@tscni/invoke";
import { CniError, ErrorCode } from "@tscni/types";
import { setSpawnHost, spawnHost } from "@tscni/types/spawn-host";
import type { SpawnHost, SpawnRequest } from "@tscni/types/spawn-host";
import { KeyedQueue } from "./keyed-queue.js";
import { ShimCache } from "./shim-file.js";
import { SHIM_FILE_NAME } from "./install.js";
import type { LoadedPlugin } from "./load.js";
import { ENV_BYTES_HEADER, EXIT_HEADER, MAX_BYTES, parseEnvBlock, ROUTE_PREFIX } from "./protocol.js";
import type { Request } from "./protocol.js";
import { SpawnerPool } from "./spawner.js";

export interface DaemonOptions {
  socketPath: string;
  plugins: ReadonlyMap<string, LoadedPlugin>;
  /** A handler that has not settled by then is answered with code 999 (default 50 s, below the shim's 60 s). */
  handlerTimeoutMs?: number;
  /** How long SIGTERM waits for requests in flight (default 10 s). */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
  /** The shim binary, run as the accept helper (default: tscni-shim beside the running script). */
  shimPath?: string;
  /** A listening socket inherited from systemd (LISTEN_FDS): served instead of creating socketPath. */
  listenFd?: number;
  /** Called when an ADD of container ID + ifname is accepted (the DEL spool drops older DELs of that key). */
  onAdd?: (key: string) => void;
}

/** What the accept helper learnt of a connection's caller (SO_PEERCRED, /proc/<pid>/ns/net; "" when unknown). */
interface Peer {
  pid: number;
  netns: string;
}

export interface Outcome {
  status: number;
  stdout: string;
}

interface RequestContext {
  fail: (error: unknown) => void;
  env: Record<string, string>;
  /** The caller's network namespace (a path) when it is not the daemon's: host-side commands run there. */
  callerNetns: string | undefined;
}

/**
 * Set in the environment a request's plugin sees. A delegate it execs through a
 * shim of this daemon carries it back: that request is part of the running
 * operation and must not queue behind it (it would wait for itself).
 */
const REQUEST_ID_VAR = "TSCNI_DAEMON_REQUEST";

const DEFAULT_HANDLER_TIMEOUT_MS = 50_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

export function attachmentKey(env: Readonly<Record<string, string | undefined>>): string {
  return `${env.CNI_CONTAINERID ?? ""}\0${env.CNI_IFNAME ?? ""}`;
}

export class Daemon {
  readonly #o: DaemonOptions;
  readonly #queue = new KeyedQueue();
  readonly #context = new AsyncLocalStorage<RequestContext>();
  readonly #log: (line: string) => void;
  #server: Server | undefined;
  #inFlight = new Set<Promise<unknown>>();
  readonly #sockets = new Set<Socket>();
  readonly #onFatal = (error: unknown) => this.#fatal(error);
  readonly #running = new Set<string>();
  #nextId = 0;
  readonly #shims = new ShimCache();
  #frontDoor: ChildProcess | undefined;
  #spawners: SpawnerPool | undefined;
  /** Registered while listening: the spawner pool's commands and lock, and each request's caller namespace. */
  #spawnHost: SpawnHost | undefined;
  #onLost: ((why: string) => void) | undefined;
  readonly #peers = new WeakMap<Socket, Peer>();
  /** "net:[inode]" of the daemon's network namespace; "" when /proc cannot tell. */
  readonly #ownNetns = ownNetns();

  constructor(options: DaemonOptions) {
    this.#o = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * Creates the socket's directory (mode 0700, owned by us) and listens. Only
   * this uid and root can then connect, and the accept helper checks each
   * peer's uid again (the directory may be opened up, or be systemd's).
   */
  async listen(): Promise<void> {
    if (this.#o.listenFd === undefined) await this.#checkSocketDir();
    // A socket left by a daemon that died: nobody answers on it, replace it.
    if (this.#o.listenFd === undefined) await rm(this.#o.socketPath, { force: true });
    process.on("uncaughtException", this.#onFatal);
    process.on("unhandledRejection", this.#onFatal);
    this.#registerInvocationHost();
    // Commands plugins run (ip, nsenter, nft) start from the small shim, not by a fork of this large process.
    // TSCNI_DAEMON_SPAWNER=node keeps Node's spawn (to compare, or to rule the spawner out).
    if (process.env.TSCNI_DAEMON_SPAWNER !== "node") this.#spawners = new SpawnerPool(this.#shimPath());
    const pool = this.#spawners;
    this.#spawnHost = {
      ...(pool && { run: (r: SpawnRequest) => pool.run(r), lock: (fd: number, ms: number) => pool.lock(fd, ms) }),
      callerNetns: () => this.#context.getStore()?.callerNetns,
    };
    setSpawnHost(this.#spawnHost);
    const server = createServer({ keepAlive: false, requestTimeout: 0, headersTimeout: 10_000 }, (req, res) => this.#handle(req, res));
    server.maxHeadersCount = 32;
    server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.once("close", () => this.#sockets.delete(s));
    });
    this.#server = server;
    await this.#openFrontDoor(server);
    this.#log(`tscni daemon: listening on ${this.#o.socketPath}, plugins: ${[...this.#o.plugins.keys()].join(", ")}`);
  }

  async #checkSocketDir(): Promise<void> {
    const dir = dirname(this.#o.socketPath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    const uid = process.getuid?.() ?? 0;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new CniError(
        ErrorCode.Internal,
        `socket directory ${dir} must be a directory owned by uid ${uid} with mode 0700 (found ${st.isDirectory() ? `uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}` : "not a directory"})`,
      );
    }
  }

  /**
   * Node cannot read a unix socket's peer credentials, so the shim binary, run
   * as a child (`--accept`), owns the listening socket, checks SO_PEERCRED and
   * passes each accepted connection over the IPC channel (shim.c, accept mode).
   */
  async #openFrontDoor(server: Server): Promise<void> {
    const shim = this.#shimPath();
    const fd = this.#o.listenFd;
    const child = spawn(shim, fd === undefined ? ["--accept", this.#o.socketPath] : ["--accept-fd", "3"], {
      stdio: fd === undefined ? ["ignore", "ignore", "pipe", "ignore", "ipc"] : ["ignore", "ignore", "pipe", fd, "ipc"],
    });
    this.#frontDoor = child;
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      for (let nl = stderr.indexOf("\n"); nl >= 0; nl = stderr.indexOf("\n")) {
        this.#log(stderr.slice(0, nl));
        stderr = stderr.slice(nl + 1);
      }
    });
    await new Promise<void>((resolve, reject) => {
      child.once("error", (e) => reject(new CniError(ErrorCode.Internal, `cannot start the daemon's accept helper ${shim}: ${e.message}`)));
      child.once("exit", (code, signal) => {
        this.#frontDoor = undefined;
        const why = `the accept helper ${shim} exited (${signal ?? `status ${code}`})${stderr ? `: ${stderr.trim()}` : ""}`;
        reject(new CniError(ErrorCode.Internal, why));
        if (this.#server) this.#lostFrontDoor(why);
      });
      child.on("message", (message: unknown, handle: unknown) => {
        if (handle instanceof NetSocket) {
          const peer = (message as { tscniPeer?: { pid?: unknown; netns?: unknown } } | null)?.tscniPeer;
          if (peer) this.#peers.set(handle, { pid: Number(peer.pid), netns: typeof peer.netns === "string" ? peer.netns : "" });
          server.emit("connection", handle);
        }
        else if ((message as { tscniListening?: boolean } | null)?.tscniListening) resolve();
      });
    });
  }

  #shimPath(): string {
    return this.#o.shimPath ?? join(dirname(process.argv[1] ?? "."), SHIM_FILE_NAME);
  }

  /** Stops accepting, waits (bounded) for requests in flight, removes the socket. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    // Stop accepting first: the helper closes the listening socket as it exits.
    const door = this.#frontDoor;
    this.#frontDoor = undefined;
    if (door && door.exitCode === null && door.signalCode === null) {
      const exited = new Promise((resolve) => door.once("exit", resolve));
      door.kill("SIGTERM");
      await exited;
    }
    const drainMs = this.#o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, drainMs))),
    ]);
    clearTimeout(timer);
    for (const s of this.#sockets) s.destroy();
    if (this.#o.listenFd === undefined) await rm(this.#o.socketPath, { force: true });
    process.off("uncaughtException", this.#onFatal);
    process.off("unhandledRejection", this.#onFatal);
    const global = globalThis as Record<symbol, unknown>;
    if (global[Symbol.for(INVOCATION_HOST_KEY)] === this.#host) delete global[Symbol.for(INVOCATION_HOST_KEY)];
    if (spawnHost() === this.#spawnHost) setSpawnHost(undefined);
    this.#spawnHost = undefined;
    if (this.#spawners) {
      this.#spawners.close();
      this.#spawners = undefined;
    }
  }

  readonly #host: InvocationHost = {
    env: () => this.#context.getStore()?.env,
    // A delegate found in CNI_PATH that is a shim of this daemon for a plugin it serves runs here, without the
    // exec of the shim and the round trip: same dispatch, same bytes, parsed by invoke as an exec's answer.
    run: ({ pluginPath, env, stdin }) => {
      const name = basename(pluginPath);
      const loaded = this.#o.plugins.get(name);
      if (!loaded || !this.#shims.isShimFor(pluginPath, this.#o.socketPath)) return undefined;
      let stderr = "";
      return this.#dispatch({ plugin: name, env: definedOnly(env), stdin: Buffer.from(stdin) }, (chunk) => (stderr += chunk)).then((o) => ({
        status: o.status,
        stdout: Buffer.from(o.stdout, "utf8"),
        stderr,
      }));
    },
  };

  #lostFrontDoor(why: string): void {
    this.#log(`tscni daemon: ${why}; stopping`);
    this.#onLost?.(why);
  }

  /** Called when the daemon can no longer accept connections (its accept helper died): the process should exit. */
  onLost(listener: (why: string) => void): void {
    this.#onLost = listener;
  }

  #registerInvocationHost(): void {
    (globalThis as Record<symbol, unknown>)[Symbol.for(INVOCATION_HOST_KEY)] = this.#host;
  }

  /** Runs one invocation as an exec would, in order with others of its attachment. */
  run(request: Request): Promise<Outcome> {
    const parent = request.env[REQUEST_ID_VAR];
    const work =
      parent !== undefined && this.#running.has(parent)
        ? this.#dispatch(request)
        : this.#queue.run(attachmentKey(request.env), () => this.#dispatch(request));
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  #fatal(error: unknown): void {
    const ctx = this.#context.getStore();
    if (ctx) return ctx.fail(error);
    // Outside any request: logged, never fatal to the node's networking.
    this.#log(`tscni daemon: error outside any request (ignored): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  async #dispatch(request: Request, stderr?: (chunk: string) => void): Promise<Outcome> {
    const loaded = this.#o.plugins.get(request.plugin);
    if (!loaded) {
      const known = [...this.#o.plugins.keys()].join(", ");
      return errorOutcome(new CniError(ErrorCode.InvalidEnvironment, `the tscni daemon serves no plugin named "${request.plugin}"`, `it serves: ${known}`));
    }
    if (request.env.CNI_COMMAND === "ADD") this.#o.onAdd?.(attachmentKey(request.env));
    let stdout = "";
    let written = false;
    const tag = `[${request.plugin} ${request.env.CNI_COMMAND ?? "-"} ${request.env.CNI_CONTAINERID ?? "-"}]`;
    let fail: (e: unknown) => void = () => {};
    const fatal = new Promise<never>((_, reject) => (fail = reject));
    fatal.catch(() => {});
    const timeoutMs = this.#o.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    const timer = setTimeout(
      () => fail(new CniError(ErrorCode.Internal, `the ${request.env.CNI_COMMAND ?? ""} handler of ${request.plugin} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const id = `${process.pid}-${++this.#nextId}`;
    const env = { ...request.env, [REQUEST_ID_VAR]: id };
    // A delegate run in process belongs to the running request: same caller, same namespace.
    const callerNetns = request.callerNetns ?? this.#context.getStore()?.callerNetns;
    this.#running.add(id);
    try {
      const status = await this.#context.run({ fail: (e) => fail(e), env, callerNetns }, () =>
        loaded.dispatch(loaded.plugin, {
          env,
          stdin: request.stdin,
          stdout: (chunk) => {
            // One document per invocation, as the exec'd process's stdout guard ensures.
            if (written) throw new Error("a second document for stdout");
            written = true;
            stdout = chunk;
          },
          stderr: stderr ?? ((chunk) => this.#log(`${tag} ${chunk.replace(/\n$/, "")}`)),
          fatal,
        }),
      );
      return { status, stdout };
    } finally {
      clearTimeout(timer);
      this.#running.delete(id);
    }
  }

  /**
   * An exec'd plugin acts in the runtime's network namespace; one served here
   * must too. When the accept helper saw the caller in another namespace than
   * the daemon's, the request runs with that namespace as its host side
   * (`/proc/<pid>/ns/net` while the waiting shim keeps it alive; the spawn host
   * places commands there). Checked again now that the request is read: a pid
   * that no longer shows the namespace the helper saw is refused. Unknown (pid
   * 0 in a pod without hostPID, or /proc unreadable): the daemon's own.
   */
  #callerNetns(peer: Peer | undefined): { path?: string; error?: CniError } {
    if (!peer?.netns || !this.#ownNetns || peer.netns === this.#ownNetns) return {};
    const path = `/proc/${peer.pid}/ns/net`;
    let now = "";
    try {
      now = readlinkSync(path);
    } catch {
      // gone: refused below
    }
    if (now === peer.netns) return { path };
    return { error: new CniError(ErrorCode.TryAgainLater, `the caller (pid ${peer.pid}) left network namespace ${peer.netns} before its request was read`) };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const answer = (httpStatus: number, o: Outcome) => {
      const body = Buffer.from(o.stdout, "utf8");
      res.writeHead(httpStatus, { [EXIT_HEADER]: String(o.status), "content-length": body.length, "content-type": "application/json", connection: "close" });
      res.end(body);
    };
    const url = req.url ?? "";
    if (req.method !== "POST" || !url.startsWith(ROUTE_PREFIX)) {
      return answer(404, errorOutcome(new CniError(ErrorCode.InvalidEnvironment, `the tscni daemon serves POST ${ROUTE_PREFIX}<plugin>, not ${req.method} ${url.slice(0, 100)}`)));
    }
    const plugin = decodeURIComponent(url.slice(ROUTE_PREFIX.length));
    const length = Number(req.headers["content-length"]);
    const envBytes = Number(req.headers[ENV_BYTES_HEADER]);
    if (!Number.isSafeInteger(length) || length > MAX_BYTES) {
      this.#log(`tscni daemon: refused a request for ${plugin} of ${req.headers["content-length"] ?? "unknown"} bytes (limit ${MAX_BYTES})`);
      res.shouldKeepAlive = false;
      return answer(413, errorOutcome(new CniError(ErrorCode.IOFailure, `the request of ${req.headers["content-length"] ?? "unknown length"} bytes exceeds the daemon's limit of ${MAX_BYTES} bytes`)));
    }
    if (!Number.isSafeInteger(envBytes) || envBytes < 0 || envBytes > length) {
      return answer(400, errorOutcome(new CniError(ErrorCode.IOFailure, `${ENV_BYTES_HEADER} must be a byte count within the body (got ${String(req.headers[ENV_BYTES_HEADER])})`)));
    }
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (c: Buffer) => {
      received += c.length;
      if (received <= length) chunks.push(c);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (body.length !== length) {
        return answer(400, errorOutcome(new CniError(ErrorCode.IOFailure, `the request body has ${body.length} bytes, Content-Length said ${length}`)));
      }
      const caller = this.#callerNetns(this.#peers.get(req.socket));
      if (caller.error) return answer(200, errorOutcome(caller.error));
      const request = { plugin, env: parseEnvBlock(body.subarray(0, envBytes)), stdin: body.subarray(envBytes), callerNetns: caller.path };
      this.run(request).then(
        (o) => answer(200, o),
        (e) => answer(200, errorOutcome(e)),
      );
    });
  }
}

function ownNetns(): string {
  try {
    return readlinkSync("/proc/self/ns/net");
  } catch {
    return "";
  }
}

function errorOutcome(e: unknown): Outcome {
  const error = e instanceof CniError ? e : new CniError(ErrorCode.Internal, e instanceof Error ? e.message : String(e));
  return { status: 1, stdout: `${JSON.stringify(error.toObject("1.1.0"), null, 4)}\n` };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
