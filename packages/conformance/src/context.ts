import { type Invocation, type Outcome, type StdinMode, execInvocation, reproCommand } from "./exec.js";
import { type ErrorDoc, excerpt, parseSingleDocument, validateErrorObject } from "./documents.js";
import { type NamespaceSet, netnsPath } from "./namespaces.js";
import { PREV_WIRING, syntheticPrevResult } from "./checks/synthetic.js";
import { atLeast } from "./versions.js";

export type Status = "pass" | "fail" | "n/a";

export interface CheckResult {
  id: string;
  status: Status;
  /** The spec section and rule the check enforces. */
  rule: string;
  message: string;
  /** For failures: the shell command that repeats the decisive plugin exec. */
  repro?: string;
}

export interface ResolvedOptions {
  binary: string;
  /** The plugin's network configuration; cniVersion and name are rewritten per run. */
  config: Record<string, unknown>;
  /** Versions under test when given; otherwise the plugin's own claimed list. */
  versions?: readonly string[];
  netns: boolean;
  timeoutMs: number;
  ifname: string;
  cniPath: string;
  networkName: string;
  envPath: string;
  /** The plugin runs after an interface plugin: every ADD, CHECK and DEL carries a prevResult. */
  chained: boolean;
  /** The plugin is an IPAM plugin: add the address-allocation checks. */
  ipam: boolean;
}

/** The host end of the veth a predecessor made for one container namespace. */
export interface Predecessor {
  hostIf: string;
  hostMac: string;
}

export interface Run {
  inv: Invocation;
  out: Outcome;
}

export type EnvOverrides = Record<string, string | undefined>;

export interface Call {
  command: string | undefined;
  stdin: StdinMode;
  /** CNI_NETNS; undefined leaves it unset. */
  netns?: string | undefined;
  containerId?: string;
  env?: EnvOverrides;
}

/** Where a non-zero exit was seen, kept for the checks about error objects as a whole. */
export interface ErrorSighting {
  run: Run;
  /** The config's cniVersion when it was a valid version the plugin claims. */
  expectedVersion?: string;
}

/** A path that is never a namespace: used for CNI_NETNS when the run has no namespaces. */
export const ABSENT_NETNS = "/run/netns/cni-conformance-absent";

/** What the plugin's execs cost during the run. */
export interface ExecStats {
  execs: number;
  totalMs: number;
  slowest?: { command: string; ms: number };
}

export class Context {
  readonly results: CheckResult[] = [];
  readonly stats: ExecStats = { execs: 0, totalMs: 0 };
  readonly errorSightings: ErrorSighting[] = [];
  /** By CNI_NETNS path: what the stand-in predecessor created there (--chained --netns). */
  readonly predecessors = new Map<string, Predecessor>();
  private ids = 0;
  private vethIds = 0;

  constructor(
    readonly opts: ResolvedOptions,
    readonly ns: NamespaceSet | undefined,
  ) {}

  newContainerId(): string {
    return `cniconformance-${process.pid}-${this.ids++}`;
  }

  /** A container namespace for one exec: a fresh one in --netns mode, else a path that does not exist. */
  async probeNetns(): Promise<string> {
    if (!this.ns) return ABSENT_NETNS;
    return netnsPath(await this.ns.create());
  }

  /**
   * A container namespace for an attachment. With --chained, an interface plugin's work is
   * already there (a veth pair, the address, a route), as a runtime running a chain would leave it.
   */
  async sandbox(withPredecessor = this.opts.chained): Promise<string> {
    const path = await this.probeNetns();
    if (!this.ns || !withPredecessor) return path;
    const name = path.slice(path.lastIndexOf("/") + 1);
    // A name that exists in every new namespace (lo) is configured, not created, by an earlier plugin.
    if ((await this.ns.links(name)).some((l) => l.ifname === this.opts.ifname)) return path;
    const hostIf = `cnicv${this.vethIds++}`;
    const hostMac = await this.ns.addPredecessor(name, { ifname: this.opts.ifname, hostIf, ...PREV_WIRING });
    this.predecessors.set(path, { hostIf, hostMac });
    return path;
  }

  /**
   * The stdin of an ADD, CHECK or DEL. With --chained (0.3.0 on) it carries the prevResult an
   * interface plugin would have returned for `netns`; DEL gets one from 0.4.0, as runtimes do.
   */
  attachmentConfig(version: string, netns: string | undefined, verb: "ADD" | "CHECK" | "DEL", extra: Record<string, unknown> = {}): StdinMode {
    const wants = this.opts.chained && atLeast(version, verb === "DEL" ? "0.4.0" : "0.3.0");
    const prev = wants && !("prevResult" in extra) ? { prevResult: syntheticPrevResult(this, version, netns ?? ABSENT_NETNS) } : {};
    return { kind: "text", text: this.config(version, { ...prev, ...extra }) };
  }

  record(r: CheckResult): void {
    this.results.push(r);
  }

  /** The config as JSON with the version under test and the run's unique network name. */
  config(version: string | unknown, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ ...this.opts.config, cniVersion: version, name: this.opts.networkName, ...extra });
  }

  async exec(call: Call): Promise<Run> {
    const env: Record<string, string> = { PATH: this.opts.envPath };
    if (call.command !== undefined) env.CNI_COMMAND = call.command;
    const perCommand = call.command === "GC" || call.command === "STATUS" || call.command === "VERSION";
    if (!perCommand) {
      env.CNI_CONTAINERID = call.containerId ?? this.newContainerId();
      if (call.netns !== undefined) env.CNI_NETNS = call.netns;
      env.CNI_IFNAME = this.opts.ifname;
    }
    if (call.command !== "VERSION") env.CNI_PATH = this.opts.cniPath;
    for (const [k, v] of Object.entries(call.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const inv: Invocation = {
      binary: this.opts.binary,
      env,
      stdin: call.stdin,
      wrap: this.ns ? this.ns.wrap() : [],
      timeoutMs: this.opts.timeoutMs,
    };
    const out = await execInvocation(inv);
    this.stats.execs++;
    this.stats.totalMs += out.durationMs;
    if (!out.timedOut && out.durationMs > (this.stats.slowest?.ms ?? -1)) {
      this.stats.slowest = { command: call.command ?? "(no CNI_COMMAND)", ms: Math.round(out.durationMs) };
    }
    return { inv, out };
  }

  /** The shell commands that repeat a run; in --netns mode they first re-create the (deleted) namespaces it used. */
  repro(run: Run): string {
    if (!this.ns) return reproCommand(run.inv);
    const names = [this.ns.host];
    const netns = run.inv.env.CNI_NETNS;
    if (netns?.startsWith(`/run/netns/${this.ns.prefix}-`)) names.push(netns.slice("/run/netns/".length));
    return `${names.map((n) => `ip netns add ${n}`).join("; ")}  # the run deleted its namespaces\n${reproCommand(run.inv)}`;
  }
}

/** One sentence describing how a run ended. */
export function describeEnd(out: Outcome): string {
  if (out.spawnError) return `could not be started: ${out.spawnError}`;
  if (out.timedOut) return `was killed after ${Math.round(out.durationMs)} ms (timeout)`;
  if (out.signal) return `was killed by ${out.signal}`;
  return `exited ${out.exitCode}`;
}

export function succeeded(out: Outcome): boolean {
  return out.exitCode === 0 && !out.timedOut && !out.spawnError;
}

export type ErrorReading = { ok: true; error: ErrorDoc } | { ok: false; reason: string };

/** Reads the error object of a failed run from stdout. */
export function readError(out: Outcome): ErrorReading {
  const doc = parseSingleDocument(out.stdout);
  if (!doc.ok) {
    const stderr = out.stderr.trim() ? `; stderr: ${excerpt(out.stderr.trim())}` : "";
    return { ok: false, reason: `${describeEnd(out)} without an error object on stdout (${doc.reason})${stderr}` };
  }
  const err = validateErrorObject(doc.value);
  if (!err.ok) return { ok: false, reason: `${describeEnd(out)} but the error object is malformed: ${err.reason}` };
  return { ok: true, error: err.value };
}

export function errorText(e: ErrorDoc): string {
  return `code ${e.code}: ${JSON.stringify(e.msg)}${e.details ? ` (${JSON.stringify(e.details)})` : ""}`;
}

/** How a failed run ended, with its error object when it printed one. */
export function failureText(out: Outcome): string {
  const read = readError(out);
  return read.ok ? `${describeEnd(out)}: ${errorText(read.error)}` : read.reason;
}
