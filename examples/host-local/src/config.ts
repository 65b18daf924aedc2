/**
 * host-local's configuration: the zod schema skel validates stdin with (shapes
 * only, built on first use), and the normalisation every handler goes through
 * (addresses, ranges, overlaps, requests), so handlers see only valid,
 * defaulted values. Every rejection is code 7 naming the field and its value.
 */
import { isAbsolute } from "node:path";
import {
  DEFAULT_DATA_DIR,
  DiskStore,
  type RangeInput,
  type RangeSet,
  type RequestedAddress,
  type ReservationScope,
  checkDns,
  checkRoutes,
  formatIp,
  formatRangeSet,
  ipamConfigShapes,
  parseRangeSets,
  rangeFor,
  readResolvConf,
  requestedAddresses,
} from "@tscni/ipam";
import type { CmdArgs } from "@tscni/skel";
import { CniError, type DNS, ErrorCode, type NetConf, type Route } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function hostLocalConfigSchema() {
  // Loose here so DEL and GC still run for a config edited after ADD; ADD refuses unknown keys (rangeSetsOf).
  const { range, route, dns, args } = ipamConfigShapes();
  return z.looseObject({
    ipam: z.looseObject({
      type: z.optional(z.string()),
      /** Where reservations live; default /var/lib/cni/networks (Go's). */
      dataDir: z.optional(z.string()),
      ranges: z.optional(z.array(z.array(range))),
      /** The legacy single-range form; prepended to `ranges` as Go does. */
      subnet: z.optional(z.string()),
      rangeStart: z.optional(z.string()),
      rangeEnd: z.optional(z.string()),
      gateway: z.optional(z.string()),
      routes: z.optional(z.array(route)),
      resolvConf: z.optional(z.string()),
      dns: z.optional(dns),
      /**
       * "dataDir" (default): an address is handed out once across every network
       * of the data directory. "network": Go's behaviour, for networks that
       * deliberately reuse addresses.
       */
      reservationScope: z.optional(z.enum(["dataDir", "network"])),
    }),
    runtimeConfig: z.optional(
      z.looseObject({
        ips: z.optional(z.array(z.string())),
        ipRanges: z.optional(z.array(z.array(range))),
      }),
    ),
    args: z.optional(args),
  });
}

export type HostLocalConfig = NetConf & z.infer<ReturnType<typeof hostLocalConfigSchema>>;
export type HostLocalArgs = CmdArgs<HostLocalConfig>;

function invalid(path: string, message: string, value?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${path}: ${message}`, value);
}

/** The store of this network: all DEL, GC and CHECK need, so they work even when the ranges no longer validate. */
export function openStore(config: HostLocalConfig): DiskStore {
  const dataDir = config.ipam.dataDir || DEFAULT_DATA_DIR;
  if (!isAbsolute(dataDir)) throw invalid("ipam.dataDir", `"${dataDir}" is not an absolute path`, dataDir);
  const scope: ReservationScope = config.ipam.reservationScope ?? "dataDir";
  return new DiskStore({ dataDir, network: config.name, scope });
}

const RANGE_KEYS = new Set(["subnet", "rangeStart", "rangeEnd", "gateway"]);

/** A typo like `rangestart` would silently give a default; name it instead. */
function refuseUnknownKeys(sets: readonly (readonly object[])[], path: string): void {
  for (const [i, set] of sets.entries()) {
    for (const [j, range] of set.entries()) {
      const unknown = Object.keys(range).find((k) => !RANGE_KEYS.has(k));
      if (unknown !== undefined) {
        throw invalid(`${path}[${i}][${j}]`, `unknown key "${unknown}" (a range has subnet, rangeStart, rangeEnd, gateway)`, unknown);
      }
    }
  }
}

/** The range sets in force: runtimeConfig.ipRanges (the capability) replaces the config's; else legacy + ranges. */
export function rangeSetsOf(config: HostLocalConfig): RangeSet[] {
  const fromRuntime = config.runtimeConfig?.ipRanges;
  if (fromRuntime && fromRuntime.length > 0) {
    refuseUnknownKeys(fromRuntime, "runtimeConfig.ipRanges");
    return parseRangeSets(fromRuntime, "runtimeConfig.ipRanges");
  }
  const { ipam } = config;
  const ranges: RangeInput[][] = ipam.ranges ?? [];
  refuseUnknownKeys(ranges, "ipam.ranges");
  if (ipam.subnet === undefined) {
    if (ranges.length === 0) throw invalid("ipam.ranges", "no ranges: set ipam.ranges (or the legacy ipam.subnet)");
    return parseRangeSets(ranges, "ipam.ranges");
  }
  const legacy: RangeInput = { subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway };
  return parseRangeSets([[legacy], ...ranges], "ipam.ranges", (i, j) => (i === 0 ? "ipam" : `ipam.ranges[${i - 1}][${j}]`));
}

export interface AddSettings {
  store: DiskStore;
  rangeSets: RangeSet[];
  /** requested[i] is the address asked for in range set i, if any. */
  requested: (RequestedAddress | undefined)[];
  routes: Route[];
  dns: DNS | undefined;
}

function describeSets(sets: readonly RangeSet[]): string {
  return sets.map((set, i) => `${i}: ${formatRangeSet(set)}`).join("; ");
}

/** Everything ADD needs, validated. */
export function addSettings(args: HostLocalArgs): AddSettings {
  const { config } = args;
  const store = openStore(config);
  const rangeSets = rangeSetsOf(config);
  if (/^0\.[12]\./.test(config.cniVersion)) {
    for (const family of [4, 6] as const) {
      if (rangeSets.filter((s) => s[0]?.rangeStart.family === family).length > 1) {
        throw invalid("ipam.ranges", `cniVersion ${config.cniVersion} results carry one IPv${family} address; use one IPv${family} range set or cniVersion 0.3.0 or later`);
      }
    }
  }
  const requests = requestedAddresses({
    runtimeConfigIps: config.runtimeConfig?.ips,
    argsIps: config.args?.cni?.ips,
    cniArgsIp: args.args.IP,
  });
  const requested: (RequestedAddress | undefined)[] = rangeSets.map(() => undefined);
  for (const r of requests) {
    const index = rangeSets.findIndex((set) => rangeFor(set, r.ip));
    if (index < 0) throw invalid(r.from, `${formatIp(r.ip)} is in no range set (${describeSets(rangeSets)})`, formatIp(r.ip));
    const other = requested[index];
    if (other) throw invalid(r.from, `asks for a second address in range set ${index}; ${other.from} already asks for one`);
    requested[index] = r;
  }
  const fromFile = config.ipam.resolvConf ? readResolvConf(config.ipam.resolvConf) : undefined;
  const dns = checkDns({ ...fromFile, ...config.ipam.dns }, "ipam.dns");
  return { store, rangeSets, requested, routes: checkRoutes(config.ipam.routes, "ipam.routes"), dns };
}
