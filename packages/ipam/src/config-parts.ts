/**
 * The parts every IPAM plugin's config shares beyond ranges: routes, DNS and
 * the addresses a runtime asks for (CONVENTIONS.md: the `ips` capability,
 * `args.cni.ips`, `IP=` in CNI_ARGS). Shapes are checked by the plugin's zod
 * schema first (built from the pieces below); the checks then say what a
 * schema cannot, and name the field.
 */
import { CniError, type DNS, ErrorCode, type Route } from "@tscni/types";
import * as z from "zod/mini";
import { type IpAddress, type IpPrefix, formatIp, parseIp, parsePrefix } from "./ip.js";

function invalid(path: string, message: string, value?: string, code: number = ErrorCode.InvalidNetworkConfig): CniError {
  return new CniError(code, `${path}: ${message}`, value);
}

/** A route as a config writes it (a schema's output: optional fields may be present as undefined). */
export type RouteInput = { [K in keyof Route]?: Route[K] | undefined } & { dst: string };
export type DnsInput = { [K in keyof DNS]?: DNS[K] | undefined };

function buildShapes() {
  // Loose: a plugin's DEL must still run for a config edited after ADD.
  return {
    range: z.looseObject({
      subnet: z.string(),
      rangeStart: z.optional(z.string()),
      rangeEnd: z.optional(z.string()),
      gateway: z.optional(z.string()),
    }),
    route: z.looseObject({
      dst: z.string(),
      gw: z.optional(z.string()),
      mtu: z.optional(z.int()),
      advmss: z.optional(z.int()),
      priority: z.optional(z.int()),
      table: z.optional(z.int()),
      scope: z.optional(z.int()),
    }),
    dns: z.looseObject({
      nameservers: z.optional(z.array(z.string())),
      domain: z.optional(z.string()),
      search: z.optional(z.array(z.string())),
      options: z.optional(z.array(z.string())),
    }),
    args: z.looseObject({ cni: z.optional(z.looseObject({ ips: z.optional(z.array(z.string())) })) }),
  };
}

let shapes: ReturnType<typeof buildShapes> | undefined;
/**
 * The zod/mini shapes of a range (`ipam.ranges[i][j]`), `ipam.routes[i]`, `ipam.dns` and the config's `args`
 * key (`args.cni.ips`), for a plugin's own config schema. Built on first call,
 * from inside the plugin's schema builder, so nothing is built at import.
 */
export function ipamConfigShapes(): ReturnType<typeof buildShapes> {
  return (shapes ??= buildShapes());
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Checks each route's `dst` (CIDR) and `gw` (address of the same family); returns them without undefined fields. */
export function checkRoutes(routes: readonly RouteInput[] | undefined, path: string): Route[] {
  return (routes ?? []).map((input, i) => {
    const route = dropUndefined(input) as Route;
    const dst = parsePrefix(route.dst);
    if (!dst) throw invalid(`${path}[${i}].dst`, `"${route.dst}" is not a CIDR`, route.dst);
    if (route.gw !== undefined && route.gw !== "") {
      const gw = parseIp(route.gw);
      if (!gw) throw invalid(`${path}[${i}].gw`, `"${route.gw}" is not an IP address`, route.gw);
      if (gw.family !== dst.address.family) {
        throw invalid(`${path}[${i}].gw`, `${route.gw} is IPv${gw.family} but dst ${route.dst} is IPv${dst.address.family}`, route.gw);
      }
    }
    const { gw, ...rest } = route;
    return gw ? { ...rest, gw } : rest;
  });
}

/** Checks that nameservers are addresses; drops empty lists so the result stays minimal. */
export function checkDns(dns: DnsInput | undefined, path: string): DNS | undefined {
  if (!dns) return undefined;
  for (const [i, ns] of (dns.nameservers ?? []).entries()) {
    if (!parseIp(ns)) throw invalid(`${path}.nameservers[${i}]`, `"${ns}" is not an IP address`, ns);
  }
  const out: DNS = {
    ...(dns.nameservers?.length && { nameservers: dns.nameservers }),
    ...(dns.domain && { domain: dns.domain }),
    ...(dns.search?.length && { search: dns.search }),
    ...(dns.options?.length && { options: dns.options }),
  };
  return Object.keys(out).length ? out : undefined;
}

/** One address a runtime asked for, and where the request came from (for messages). */
export interface RequestedAddress {
  readonly ip: IpAddress;
  /** Set when the request carried `/len`. */
  readonly prefix?: IpPrefix | undefined;
  /** e.g. `runtimeConfig.ips[0]`, `CNI_ARGS IP`. */
  readonly from: string;
}

export interface RequestSources {
  /** `runtimeConfig.ips` (the `ips` capability). */
  runtimeConfigIps?: readonly string[] | undefined;
  /** `args.cni.ips` in the network config. */
  argsIps?: readonly string[] | undefined;
  /** The `IP` key of CNI_ARGS: one address or a comma-separated list. */
  cniArgsIp?: string | undefined;
}

export interface RequestOptions {
  /** Every request must carry a prefix length (static); otherwise it is optional (host-local). */
  requirePrefix?: boolean;
}

function parseRequest(text: string, from: string, code: number, requirePrefix: boolean): RequestedAddress {
  const trimmed = text.trim();
  if (trimmed.includes("/")) {
    const prefix = parsePrefix(trimmed);
    if (!prefix) throw invalid(from, `"${text}" is not an address with a prefix length`, text, code);
    return { ip: prefix.address, prefix, from };
  }
  if (requirePrefix) throw invalid(from, `"${text}" needs a prefix length (e.g. 169.254.1.5/16)`, text, code);
  const ip = parseIp(trimmed);
  if (!ip) throw invalid(from, `"${text}" is not an IP address`, text, code);
  return { ip, from };
}

/**
 * Collects requested addresses. `runtimeConfig.ips` and `args.cni.ips` come
 * from the config; CNI_ARGS `IP` is read only when `args.cni.ips` is absent,
 * as CONVENTIONS.md asks of plugins that understand `args`. A malformed
 * CNI_ARGS value is code 4 (an environment variable), the others code 7.
 * Duplicates are dropped; the first source wins.
 */
export function requestedAddresses(sources: RequestSources, opts: RequestOptions = {}): RequestedAddress[] {
  const requirePrefix = opts.requirePrefix === true;
  const out: RequestedAddress[] = [];
  const add = (r: RequestedAddress) => {
    if (!out.some((o) => o.ip.family === r.ip.family && o.ip.value === r.ip.value)) out.push(r);
  };
  for (const [i, text] of (sources.runtimeConfigIps ?? []).entries()) {
    add(parseRequest(text, `runtimeConfig.ips[${i}]`, ErrorCode.InvalidNetworkConfig, requirePrefix));
  }
  if (sources.argsIps) {
    for (const [i, text] of sources.argsIps.entries()) {
      add(parseRequest(text, `args.cni.ips[${i}]`, ErrorCode.InvalidNetworkConfig, requirePrefix));
    }
  } else if (sources.cniArgsIp !== undefined && sources.cniArgsIp !== "") {
    for (const text of sources.cniArgsIp.split(",")) {
      add(parseRequest(text, "CNI_ARGS IP", ErrorCode.InvalidEnvironment, requirePrefix));
    }
  }
  return out;
}

export function describeRequest(r: RequestedAddress): string {
  return `${formatIp(r.ip)} (from ${r.from})`;
}
