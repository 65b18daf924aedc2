import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { execPath } from "node:process";
import { checkErrorObjects } from "./checks/errors.js";
import { checkIpam } from "./checks/ipam.js";
import { checkLifecycle } from "./checks/lifecycle.js";
import { type Plan, checkProtocol } from "./checks/protocol.js";
import { checkChaining, checkGcStatus, checkResults } from "./checks/results.js";
import { checkVersion } from "./checks/version.js";
import { type CheckResult, Context, type ExecStats, type ResolvedOptions } from "./context.js";
import { NamespaceSet } from "./namespaces.js";
import { KNOWN_VERSIONS, compareVersions, isKnownVersion } from "./versions.js";

export interface ConformanceOptions {
  /** Path of the plugin executable. */
  binary: string;
  /** The plugin's network configuration (one plugin object); default `{type}` from the binary name. */
  config?: Record<string, unknown>;
  /** Spec versions to test; default every known version the plugin claims. */
  versions?: readonly string[];
  /** Run in throwaway network namespaces (root) and add the namespace checks. */
  netns?: boolean;
  /** Per exec; a plugin still running then is killed. Default 10 000. */
  timeoutMs?: number;
  /** CNI_IFNAME; default eth0. */
  ifname?: string;
  /** CNI_PATH; default the plugin's directory. */
  cniPath?: string;
  /**
   * The plugin runs after an interface plugin in a chain: it gets a prevResult on every ADD,
   * CHECK and DEL (with `netns`, for a veth pair really made in the container namespace), must
   * keep prevResult's interfaces and addresses in its output, and its CHECK must notice when
   * what its ADD changed is undone.
   */
  chained?: boolean;
  /** The plugin is an IPAM plugin: add the allocation checks (distinct addresses, release, GC). */
  ipam?: boolean;
  /** Name prefix of the run's namespaces (default unique per run), so a caller can clean up after a signal. */
  namespacePrefix?: string;
}

export interface Report {
  plugin: string;
  claimedVersions: string[];
  testedVersions: string[];
  netns: boolean;
  /** Every namespace of the run was named `<prefix>-...` (all deleted at its end). */
  namespacePrefix?: string;
  checks: CheckResult[];
  /** Plugin execs of the run; the slowest one that did not time out. */
  stats: ExecStats;
  summary: { passed: number; failed: number; notApplicable: number };
}

/** Runs every check against one plugin binary and returns the report; never throws for a plugin's misbehaviour. */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const base = options.config ?? { type: options.binary.split("/").pop() };
  const opts: ResolvedOptions = {
    binary: options.binary,
    config: base,
    ...(options.versions ? { versions: options.versions } : {}),
    netns: options.netns ?? false,
    timeoutMs: options.timeoutMs ?? 10_000,
    ifname: options.ifname ?? "eth0",
    cniPath: options.cniPath ?? dirname(options.binary),
    // A name of its own, so this run's state (IPAM files, GC) never meets real attachments.
    networkName: `cniconformance-${process.pid}-${randomBytes(3).toString("hex")}`,
    envPath: pluginPath(),
    chained: options.chained ?? false,
    ipam: options.ipam ?? false,
  };
  const ns = opts.netns ? new NamespaceSet(options.namespacePrefix) : undefined;
  const ctx = new Context(opts, ns);
  let claimed: string[] = [];
  try {
    if (ns) await ns.createHost();
    const answer = await checkVersion(ctx);
    claimed = answer?.supportedVersions ?? [];
    const wanted = opts.versions ?? claimed;
    const versions = [...new Set(wanted.filter(isKnownVersion))].sort(compareVersions);
    const plan: Plan = { versions, claimed: answer ? claimed : [...(opts.versions ?? KNOWN_VERSIONS)] };
    await checkProtocol(ctx, plan);
    await checkResults(ctx, plan);
    await checkChaining(ctx, plan);
    await checkGcStatus(ctx, plan);
    await checkLifecycle(ctx, plan);
    if (opts.ipam) await checkIpam(ctx, plan);
    checkErrorObjects(ctx);
    return { ...report(opts, claimed, versions, ctx), ...(ns ? { namespacePrefix: ns.prefix } : {}) };
  } finally {
    await ns?.removeAll();
  }
}

function report(opts: ResolvedOptions, claimed: string[], tested: string[], ctx: Context): Report {
  const checks = ctx.results;
  const count = (s: CheckResult["status"]) => checks.filter((c) => c.status === s).length;
  return {
    plugin: opts.binary,
    claimedVersions: claimed,
    testedVersions: tested,
    netns: opts.netns,
    checks,
    stats: { ...ctx.stats, totalMs: Math.round(ctx.stats.totalMs) },
    summary: { passed: count("pass"), failed: count("fail"), notApplicable: count("n/a") },
  };
}

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * The PATH a plugin gets: the system directories, as a runtime's service has, plus the directory
 * of the Node running the checker when it is elsewhere (a script plugin's `env node` must find
 * one). Not the caller's PATH: that differs per shell and would make every reproduction unreadable.
 */
function pluginPath(): string {
  const nodeDir = dirname(execPath);
  return [...(SYSTEM_PATH.includes(nodeDir) ? [] : [nodeDir]), ...SYSTEM_PATH].join(":");
}
