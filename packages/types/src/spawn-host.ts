/**
 * `@tscni/types/spawn-host`: a process that serves many CNI invocations (the
 * tscni daemon) can run commands for plugins more cheaply than Node's own
 * spawn, which forks the whole (large) process. It registers a host here and
 * @tscni/netns runs iproute2, nsenter and nft through it, and @tscni/ipam's
 * lock takes its flock through it. The host also says in which network
 * namespace the running invocation's host side is (callerNetns). An exec'd
 * plugin registers nothing and spawns as always. Keyed by Symbol.for on
 * globalThis: each plugin bundle a daemon loads carries its own copy of this
 * module.
 */

export interface SpawnRequest {
  /** argv[0] is an absolute path: no PATH search. */
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  stdin: string;
  timeoutMs: number;
}

export interface SpawnOutcome {
  /** The exit status; null when a signal ended the command. */
  status: number | null;
  signal: number | null;
  /** The command outlived timeoutMs and was killed. */
  timedOut: boolean;
  /** Set when the command could not be started at all, e.g. "spawn /usr/sbin/ip ENOENT". */
  startError?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** How a lock taken through the host ended; "unavailable" leaves the caller to take it its own way. */
export type HostLockOutcome = { kind: "locked" } | { kind: "timed-out" } | { kind: "unavailable"; why: string };

export interface SpawnHost {
  /** Starts a command; without it, commands start with Node's spawn. */
  run?(request: SpawnRequest): Promise<SpawnOutcome>;
  /**
   * An exclusive flock(2) on this process's descriptor `fd` (on its open file description, as flock(1) given
   * the descriptor by inheritance would take it), within `timeoutMs`.
   */
  lock?(fd: number, timeoutMs: number): Promise<HostLockOutcome>;
  /**
   * The network namespace (a path) of the runtime that made the running
   * invocation, when it is not this process's: a daemon serving a runtime in
   * another namespace. Host-side work must happen there, as it would in an
   * exec'd plugin: @tscni/netns then runs every command that does not enter a
   * namespace of its own (ip, tc, nft, sysctl writes) through nsenter into it.
   */
  callerNetns?(): string | undefined;
}

const KEY = Symbol.for("tscni.spawnHost");
const holder = globalThis as { [KEY]?: SpawnHost };

export function spawnHost(): SpawnHost | undefined {
  return holder[KEY];
}

/** Registers (or with undefined, removes) the process's spawn host. */
export function setSpawnHost(host: SpawnHost | undefined): void {
  if (host) holder[KEY] = host;
  else delete holder[KEY];
}
