import { randomBytes } from "node:crypto";
import { readFile, stat, statfs, writeFile } from "node:fs/promises";
import { trackWork } from "@tscni/types/work";
import * as cmd from "./commands.js";
import type { AddressSpec, BridgeSpec, LinkChanges, RouteSpec, Words } from "./commands.js";
import { isNetnsError, kindFromStderr, NetnsError } from "./errors.js";
import { callerNetns, findTool, spawnRunner } from "./exec.js";
import type { Runner } from "./exec.js";
import { parseLinks, parseRoutes } from "./ip-json.js";
import type { Address, Link, RouteEntry } from "./ip-json.js";
import { assertIfName, assertNetnsPath, sysctlPath } from "./names.js";

export interface NetnsOptions {
  /** How commands are run; the default spawns iproute2 and nsenter. Tests may record instead. */
  runner?: Runner;
  /** Per command; a timeout is error kind "timeout" (code 11). */
  timeoutMs?: number;
}

/** statfs(2) f_type of nsfs: a bind-mounted or /proc/<pid>/ns/net namespace file. */
const NSFS_MAGIC = 0x6e736673;

export type NetnsState = "ok" | "missing" | "not-a-netns";

/** Whether `path` names a network namespace, without throwing. */
export async function netnsState(path: string): Promise<NetnsState> {
  try {
    await stat(path);
  } catch {
    return "missing";
  }
  try {
    const fs = await statfs(path);
    return fs.type === NSFS_MAGIC ? "ok" : "not-a-netns";
  } catch {
    return "not-a-netns";
  }
}

/**
 * A handle on the namespace at `path`, checked first: a missing namespace is
 * NetnsError "netns-missing" (code 3, the container is gone), anything else
 * that is not a namespace is "not-a-netns" (code 4). Use it on ADD and CHECK,
 * before any side effect; on DEL use `openNetnsForDel`.
 */
export async function openNetns(path: string, options: NetnsOptions = {}): Promise<NetNs> {
  assertNetnsPath(path);
  const state = await netnsState(path);
  if (state === "missing") throw new NetnsError("netns-missing", `network namespace ${path} does not exist`, "CNI_NETNS names no namespace: the container is gone");
  if (state === "not-a-netns") throw new NetnsError("not-a-netns", `${path} is not a network namespace`, "CNI_NETNS must name a network namespace file (nsfs)");
  return new NetNs(path, options);
}

/**
 * DEL's view of CNI_NETNS: a handle when it still names a namespace, else
 * undefined (empty, gone, or a leftover file that is no longer a namespace
 * mount): there is nothing inside to clean up, and DEL must succeed so the
 * runtime stops retrying. `onSkip` hears why, for a log line.
 */
export async function openNetnsForDel(path: string, options: NetnsOptions & { onSkip?: (why: string) => void } = {}): Promise<NetNs | undefined> {
  if (path === "") {
    options.onSkip?.("CNI_NETNS is empty");
    return undefined;
  }
  const state = await netnsState(assertNetnsPath(path));
  if (state === "ok") return new NetNs(path, options);
  options.onSkip?.(state === "missing" ? `network namespace ${path} no longer exists` : `${path} is no longer a network namespace`);
  return undefined;
}

/**
 * DEL's link step: deletes `dev` inside CNI_NETNS when both still exist. A
 * namespace that is gone (`onSkip` hears why) or a link already deleted is
 * success, so a repeated DEL succeeds too.
 */
export async function deleteLinkForDel(path: string, dev: string, options: NetnsOptions & { onSkip?: (why: string) => void } = {}): Promise<void> {
  const ns = await openNetnsForDel(path, options);
  await ns?.deleteLink(dev);
}

/** A handle without checks; `netns()` with no path is the namespace this process runs in (the host side). */
export function netns(path?: string, options: NetnsOptions = {}): NetNs {
  return new NetNs(path === undefined ? undefined : assertNetnsPath(path), options);
}

export interface VethPairOptions {
  /** The container's namespace; the peer is created there directly, named `containerIfName`. */
  container: NetNs;
  containerIfName: string;
  /** Host-side name; default: `hostNamePrefix` + 8 random hex digits. */
  hostName?: string;
  hostNamePrefix?: string;
  mtu?: number;
  containerMac?: string;
  hostMac?: string;
  /**
   * Host-side lines run by the same `ip -batch` right after the pair is made
   * (a bridge port's settings, say), given the host name: one process instead
   * of two. A failing line is reported as `batch` reports it.
   */
  thenHost?: (hostName: string) => Words[];
  /**
   * Called once the pair exists, before the call returns, also when a
   * `thenHost` line then fails: where the caller registers the pair's removal.
   */
  onCreated?: (pair: VethPair) => void;
}

export interface VethPair {
  hostName: string;
  hostMac: string;
  containerIfName: string;
  containerMac: string;
}

/** A random unicast, locally administered MAC, as the kernel picks for a veth. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export class NetNs {
  /** undefined: the namespace this process runs in. */
  readonly path: string | undefined;
  readonly #run: Runner;
  readonly #timeoutMs: number | undefined;

  constructor(path: string | undefined, options: NetnsOptions = {}) {
    this.path = path;
    this.#run = options.runner ?? spawnRunner;
    this.#timeoutMs = options.timeoutMs;
  }

  /** A path other processes (`ip ... netns PATH`) can open to reach this namespace. */
  get reference(): string {
    return this.path ?? `/proc/${process.pid}/ns/net`;
  }

  toString(): string {
    return this.path === undefined ? "the host namespace" : `netns ${this.path}`;
  }

  #argv(program: string, args: readonly string[]): string[] {
    const tool = findTool(program);
    return this.path === undefined ? [tool, ...args] : [findTool("nsenter"), `--net=${this.path}`, "--", tool, ...args];
  }

  /** Registered with the running invocation: a handler that forgets to await it cannot answer before it ends. */
  #exec(program: string, args: readonly string[], stdin?: string): Promise<string> {
    return trackWork(this.#execUntracked(program, args, stdin));
  }

  async #execUntracked(program: string, args: readonly string[], stdin?: string): Promise<string> {
    const r = await this.#run(this.#argv(program, args), {
      ...(stdin !== undefined && { stdin }),
      ...(this.#timeoutMs !== undefined && { timeoutMs: this.#timeoutMs }),
    });
    if (r.status === 0) return r.stdout;
    const stderr = r.stderr.trim();
    throw new NetnsError(kindFromStderr(stderr), `${program} ${args.join(" ")} failed in ${this}`, stderr || `exit status ${r.status}`);
  }

  /** Runs one `ip` command given as words; returns stdout. */
  ip(words: Words): Promise<string> {
    return this.#exec("ip", words);
  }

  /**
   * Runs several `ip` commands in one process (`ip -batch -`). iproute2 stops
   * at the first failing line; the error names that line, and every line
   * before it has taken effect.
   */
  async batch(lines: Words[]): Promise<void> {
    if (lines.length === 0) return;
    if (lines.length === 1) {
      await this.ip(lines[0] ?? []);
      return;
    }
    await this.#runBatch([], lines);
  }

  /** `onFail` hears the 0-based index of the line that failed, or undefined when iproute2 did not say (a timeout). */
  async #runBatch(flags: string[], lines: Words[], onFail?: (line: number | undefined) => void): Promise<string> {
    const text = `${lines.map(cmd.batchLine).join("\n")}\n`;
    try {
      return await this.#exec("ip", [...flags, "-batch", "-"], text);
    } catch (e) {
      const details = e instanceof NetnsError ? (e.details ?? "") : "";
      const failed = /Command failed -:(\d+)/u.exec(details);
      let index = failed ? Number(failed[1]) - 1 : undefined;
      // A bad argument (a master or netns that does not exist) makes iproute2 exit at once without naming the
      // line; the argument it names is in the line that failed: the first that holds it.
      const badArgument = failed ? undefined : /argument "([^"\n]*)" is wrong/u.exec(details)?.[1];
      if (badArgument !== undefined && badArgument !== "") index = lines.findIndex((l) => l.includes(badArgument));
      const line = index === undefined ? undefined : lines[index];
      onFail?.(line ? index : undefined);
      if (!(e instanceof NetnsError) || !line) throw e;
      const reason = (e.details ?? "").replace(/\n?Command failed -:\d+\s*$/u, "");
      throw new NetnsError(e.kind, `ip ${line.join(" ")} failed in ${this}`, reason, { cause: e });
    }
  }

  // ------------------------------------------------------------- reads

  /** Every link with its addresses (one `ip -d -json addr show`). */
  async links(): Promise<Link[]> {
    return parseLinks(await this.ip(["-d", "-json", "addr", "show"]));
  }

  /** One link with its addresses, or undefined when there is none of that name. */
  async link(name: string): Promise<Link | undefined> {
    try {
      return parseLinks(await this.ip(["-d", "-json", "addr", "show", "dev", assertIfName(name)]))[0];
    } catch (e) {
      if (isNetnsError(e, "not-found")) return undefined;
      throw e;
    }
  }

  async addresses(dev: string): Promise<Address[]> {
    return (await this.link(dev))?.addresses ?? [];
  }

  /** Routes of every table and both families (the local table included). */
  async routes(): Promise<RouteEntry[]> {
    return parseRoutes(await this.ip(["-json", "route", "show", "table", "all"]));
  }

  /**
   * Runs writes and reads in one process (`ip -d -json -batch -`); returns
   * one JSON text per line that prints something (the `show` lines), in order.
   */
  async batchJson(lines: Words[]): Promise<string[]> {
    const out = await this.#runBatch(["-d", "-json"], lines);
    return out.split("\n").filter((l) => l.trim() !== "");
  }

  /** Links (with addresses) and routes in one process. */
  async snapshot(): Promise<{ links: Link[]; routes: RouteEntry[] }> {
    const [links = "[]", routes = "[]"] = await this.batchJson([["addr", "show"], ["route", "show", "table", "all"]]);
    return { links: parseLinks(links), routes: parseRoutes(routes) };
  }

  // ------------------------------------------------------------- links

  /**
   * Returns the bridge, creating it (up, with a fixed MAC so it does not
   * change as ports come and go) when there is none. EEXIST from a concurrent
   * creator is success, so parallel ADDs are safe. An existing bridge keeps its
   * MTU (other networks may share it) but is brought up and gets `promisc` if
   * asked. A link of that name that is not a bridge is an error. One process
   * when the bridge exists and is set up already.
   */
  async ensureBridge(spec: BridgeSpec & { promisc?: boolean }): Promise<Link> {
    let link = await this.link(spec.name);
    if (!link) {
      try {
        await this.ip(cmd.bridgeAdd({ ...spec, mac: spec.mac ?? randomMac(), up: true }));
      } catch (e) {
        if (!isNetnsError(e, "exists")) throw e;
      }
      link = await this.link(spec.name);
      if (!link) throw new NetnsError("not-found", `bridge ${spec.name} disappeared in ${this} while being set up`);
    }
    if (link.kind !== "bridge") throw new NetnsError("exists", `${spec.name} already exists in ${this} and is not a bridge`, `it is a ${link.kind ?? "link without a kind"}`);
    const changes: LinkChanges = {};
    if (!link.up) changes.up = true;
    if (spec.promisc !== undefined && link.promisc !== spec.promisc) changes.promisc = spec.promisc;
    if (Object.keys(changes).length > 0) {
      await this.setLink(spec.name, changes);
      link = { ...link, up: true, promisc: changes.promisc ?? link.promisc };
    }
    return link;
  }

  /**
   * Creates a veth pair from this (host) namespace with the peer made directly
   * inside `container` as `containerIfName`. MACs are chosen here so the result
   * needs no read-back. A name taken in the container is NetnsError "exists";
   * a random host name that collides is retried.
   */
  async createVethPair(o: VethPairOptions): Promise<VethPair> {
    assertIfName(o.containerIfName, "CNI_IFNAME");
    const containerMac = o.containerMac ?? randomMac();
    const hostMac = o.hostMac ?? randomMac();
    for (let attempt = 0; ; attempt++) {
      const hostName = o.hostName ?? `${o.hostNamePrefix ?? "veth"}${randomBytes(4).toString("hex")}`;
      const mtu = o.mtu !== undefined ? { mtu: o.mtu } : {};
      const pair = { hostName, hostMac, containerIfName: o.containerIfName, containerMac };
      const add = cmd.vethAdd({ name: hostName, mac: hostMac, ...mtu }, { name: o.containerIfName, mac: containerMac, ...mtu }, o.container.reference);
      const then = o.thenHost?.(hostName) ?? [];
      let failedLine: number | undefined = 0;
      try {
        if (then.length === 0) await this.ip(add);
        else await this.#runBatch([], [add, ...then], (line) => (failedLine = line));
      } catch (e) {
        if (failedLine !== 0) {
          // Past the first line the pair exists; when iproute2 did not say which line failed, the kernel knows.
          if (failedLine !== undefined || (await this.link(hostName).catch(() => undefined))) o.onCreated?.(pair);
          throw e;
        }
        if (!isNetnsError(e, "exists")) throw e;
        if (await o.container.link(o.containerIfName)) {
          throw new NetnsError("exists", `interface ${o.containerIfName} already exists in ${o.container}`, "CNI_IFNAME must name an interface the container does not have yet", { cause: e });
        }
        if (o.hostName !== undefined || attempt >= 3) throw e;
        continue;
      }
      o.onCreated?.(pair);
      return pair;
    }
  }

  async setLink(dev: string, changes: LinkChanges): Promise<void> {
    await this.batch(cmd.linkSetLines(dev, changes));
  }

  async setUp(dev: string): Promise<void> {
    await this.setLink(dev, { up: true });
  }

  async setDown(dev: string): Promise<void> {
    await this.setLink(dev, { up: false });
  }

  /** Moves `dev` into `target`, renamed to `newName` when given (one netlink request). */
  async moveLink(dev: string, target: NetNs, newName?: string): Promise<void> {
    await this.setLink(dev, { netnsPath: target.reference, ...(newName !== undefined && { name: newName }) });
  }

  /** The link must be down for the kernel to accept a rename. */
  async renameLink(dev: string, newName: string): Promise<void> {
    await this.setLink(dev, { name: newName });
  }

  /** Deletes a link; one that is already gone is success (returns false). A veth takes its peer with it. */
  async deleteLink(dev: string): Promise<boolean> {
    return this.#deleteIfPresent(cmd.linkDel(dev));
  }

  // ------------------------------------------------------------- addresses and routes

  async addAddress(a: AddressSpec, options: { replace?: boolean } = {}): Promise<void> {
    await this.ip(cmd.addrAdd(a, options.replace));
  }

  /** An address that is already gone is success (returns false). */
  async deleteAddress(a: AddressSpec): Promise<boolean> {
    return this.#deleteIfPresent(cmd.addrDel(a));
  }

  async addRoute(r: RouteSpec, options: { replace?: boolean } = {}): Promise<void> {
    await this.ip(cmd.routeAdd(r, options.replace));
  }

  /** A route that is already gone is success (returns false). */
  async deleteRoute(r: RouteSpec): Promise<boolean> {
    return this.#deleteIfPresent(cmd.routeDel(r));
  }

  /** Runs a delete; what it deletes being gone already is success (false), so DEL stays idempotent. */
  async #deleteIfPresent(words: Words): Promise<boolean> {
    try {
      await this.ip(words);
      return true;
    } catch (e) {
      if (isNetnsError(e, "not-found")) return false;
      throw e;
    }
  }

  // ------------------------------------------------------------- sysctl and DAD

  /** Writes `/proc/sys/<key>` as seen from this namespace (`net/ipv6/conf/eth0/accept_dad` or dotted). */
  async sysctl(key: string, value: string): Promise<void> {
    const file = sysctlPath(key);
    // Written by this process only where /proc/sys/net is the host side's: not in a daemon serving a caller
    // in another namespace (callerNetns), whose command runner then places tee there.
    if (this.path === undefined && callerNetns() === undefined) {
      await writeFile(file, value);
      return;
    }
    // /proc/sys/net resolves against the writer's namespace, so the writer must be inside it.
    await this.#exec("tee", [file], value);
  }

  async readSysctl(key: string): Promise<string> {
    const file = sysctlPath(key);
    if (this.path === undefined && callerNetns() === undefined) return (await readFile(file, "utf8")).trim();
    return (await this.#exec("cat", [file])).trim();
  }

  /**
   * Waits until no IPv6 address on `dev` is tentative (duplicate address
   * detection finished). A failed DAD is an error; so is still waiting after
   * `timeoutMs` (kind "timeout", code 11).
   */
  async waitForDad(dev: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const v6 = (await this.addresses(dev)).filter((a) => a.family === 6);
      const failed = v6.find((a) => a.dadFailed);
      if (failed) throw new NetnsError("exists", `duplicate address detection failed for ${failed.cidr} on ${dev} in ${this}`, "another host on the link uses this address");
      if (!v6.some((a) => a.tentative)) return;
      if (Date.now() >= deadline) throw new NetnsError("timeout", `IPv6 addresses on ${dev} in ${this} still tentative after ${options.timeoutMs ?? 10_000} ms`);
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
    }
  }
}
