/**
 * Typed views of `ip -json` output. iproute2's JSON is validated (zod/mini,
 * schemas built on first use) and then normalised: route destinations become
 * CIDRs, tables and scopes numbers, so callers compare values, not spellings.
 */
import * as z from "zod/mini";
import { formatIssues } from "@tscni/types/internal";
import { NetnsError } from "./errors.js";

export type Family = 4 | 6;

export interface Address {
  family: Family;
  /** The address without prefix: "169.254.1.2", "fd00::2". */
  address: string;
  prefixLength: number;
  /** `address/prefixLength`, host bits kept. */
  cidr: string;
  /** "global", "link", "host"... as iproute2 names it. */
  scope: string;
  /** IPv6 duplicate address detection still running. */
  tentative: boolean;
  dadFailed: boolean;
}

export interface Link {
  index: number;
  name: string;
  /** "veth", "bridge"... absent for links without a kind (lo, physical). */
  kind?: string;
  up: boolean;
  operState: string;
  mtu: number;
  mac?: string;
  /** The bridge (or other master) this link is enslaved to. */
  master?: string;
  promisc: boolean;
  /** Bridge port hairpin mode; only for bridge ports. */
  hairpin?: boolean;
  /** A veth's peer index, in the namespace given by `linkNetnsId` when that is set. */
  peerIndex?: number;
  linkNetnsId?: number;
  flags: string[];
  addresses: Address[];
}

export interface RouteEntry {
  family: Family;
  /** Always a CIDR: "0.0.0.0/0" for default, "/32" or "/128" added to host routes. */
  dst: string;
  gw?: string;
  dev?: string;
  /** 254 main, 255 local, 253 default, or the number. */
  table: number;
  metric?: number;
  /** 0 global (universe), 200 site, 253 link, 254 host, 255 nowhere. */
  scope: number;
  mtu?: number;
  advmss?: number;
  /** "unicast", "local", "broadcast", "multicast"... */
  type: string;
  protocol?: string;
  src?: string;
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
function buildSchemas() {
  const addrInfo = z.object({
    family: z.string(),
    local: z.optional(z.string()),
    prefixlen: z.optional(z.number()),
    scope: z.optional(z.union([z.string(), z.number()])),
    tentative: z.optional(z.boolean()),
    dadfailed: z.optional(z.boolean()),
  });
  const link = z.object({
    ifindex: z.number(),
    ifname: z.string(),
    flags: z.array(z.string()),
    mtu: z.number(),
    operstate: z.optional(z.string()),
    address: z.optional(z.string()),
    master: z.optional(z.string()),
    link_index: z.optional(z.number()),
    link_netnsid: z.optional(z.number()),
    linkinfo: z.optional(
      z.object({
        info_kind: z.optional(z.string()),
        info_slave_kind: z.optional(z.string()),
        info_slave_data: z.optional(z.object({ hairpin: z.optional(z.boolean()) })),
      }),
    ),
    addr_info: z.optional(z.array(addrInfo)),
  });
  const route = z.object({
    type: z.optional(z.string()),
    dst: z.string(),
    gateway: z.optional(z.string()),
    dev: z.optional(z.string()),
    table: z.optional(z.union([z.string(), z.number()])),
    metric: z.optional(z.number()),
    scope: z.optional(z.union([z.string(), z.number()])),
    protocol: z.optional(z.string()),
    prefsrc: z.optional(z.string()),
    pref: z.optional(z.string()),
    metrics: z.optional(z.array(z.record(z.string(), z.unknown()))),
  });
  return { links: z.array(link), routes: z.array(route) };
}
function getSchemas() {
  schemas ??= buildSchemas();
  return schemas;
}

function parseJson<T>(text: string, schema: z.ZodMiniType<T>, what: string): T {
  let data: unknown;
  try {
    // `ip -json` prints nothing at all for an empty dump on some versions.
    data = text.trim() === "" ? [] : JSON.parse(text);
  } catch (e) {
    throw new NetnsError("failed", `cannot decode ip -json output for ${what}`, (e as Error).message);
  }
  const r = schema.safeParse(data);
  if (!r.success) throw new NetnsError("failed", `unexpected ip -json output for ${what}`, formatIssues(r.error.issues, data));
  return r.data;
}

function toAddress(a: { family: string; local?: string | undefined; prefixlen?: number | undefined; scope?: string | number | undefined; tentative?: boolean | undefined; dadfailed?: boolean | undefined }): Address[] {
  if ((a.family !== "inet" && a.family !== "inet6") || a.local === undefined || a.prefixlen === undefined) return [];
  return [
    {
      family: a.family === "inet" ? 4 : 6,
      address: a.local,
      prefixLength: a.prefixlen,
      cidr: `${a.local}/${a.prefixlen}`,
      scope: String(a.scope ?? "global"),
      tentative: a.tentative === true,
      dadFailed: a.dadfailed === true,
    },
  ];
}

/** Parses `ip -d -json addr show` (or `link show`, which has no addresses). */
export function parseLinks(text: string): Link[] {
  return parseJson(text, getSchemas().links, "links").map((l) => {
    const link: Link = {
      index: l.ifindex,
      name: l.ifname,
      up: l.flags.includes("UP"),
      operState: l.operstate ?? "UNKNOWN",
      mtu: l.mtu,
      promisc: l.flags.includes("PROMISC"),
      flags: l.flags,
      addresses: (l.addr_info ?? []).flatMap(toAddress),
    };
    if (l.linkinfo?.info_kind !== undefined) link.kind = l.linkinfo.info_kind;
    if (l.address !== undefined) link.mac = l.address;
    if (l.master !== undefined) link.master = l.master;
    const hairpin = l.linkinfo?.info_slave_data?.hairpin;
    if (hairpin !== undefined) link.hairpin = hairpin;
    if (l.link_index !== undefined) link.peerIndex = l.link_index;
    if (l.link_netnsid !== undefined) link.linkNetnsId = l.link_netnsid;
    return link;
  });
}

const TABLES: Record<string, number> = { main: 254, local: 255, default: 253, unspec: 0 };
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

function numberNamed(value: string | number | undefined, names: Record<string, number>, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return value;
  const named = names[value];
  if (named !== undefined) return named;
  const n = Number(value);
  return Number.isInteger(n) ? n : fallback;
}

function numericMetric(metrics: Record<string, unknown>[] | undefined, key: string): number | undefined {
  for (const m of metrics ?? []) {
    const v = m[key];
    if (typeof v === "number") return v;
  }
  return undefined;
}

/** Parses `ip -json route show table all` (both families in one dump). */
export function parseRoutes(text: string): RouteEntry[] {
  return parseJson(text, getSchemas().routes, "routes").map((r) => {
    // iproute2 prints no family; the kernel attaches RTA_PREF to every IPv6 route.
    const family: Family = r.pref !== undefined || r.dst.includes(":") || (r.gateway ?? "").includes(":") || (r.prefsrc ?? "").includes(":") ? 6 : 4;
    let dst = r.dst;
    if (dst === "default") dst = family === 4 ? "0.0.0.0/0" : "::/0";
    else if (!dst.includes("/")) dst = `${dst}/${family === 4 ? 32 : 128}`;
    const entry: RouteEntry = {
      family,
      dst,
      table: numberNamed(r.table, TABLES, 254),
      scope: numberNamed(r.scope, SCOPES, 0),
      type: r.type ?? "unicast",
    };
    if (r.gateway !== undefined) entry.gw = r.gateway;
    if (r.dev !== undefined) entry.dev = r.dev;
    if (r.metric !== undefined) entry.metric = r.metric;
    if (r.protocol !== undefined) entry.protocol = r.protocol;
    if (r.prefsrc !== undefined) entry.src = r.prefsrc;
    const mtu = numericMetric(r.metrics, "mtu");
    if (mtu !== undefined) entry.mtu = mtu;
    const advmss = numericMetric(r.metrics, "advmss");
    if (advmss !== undefined) entry.advmss = advmss;
    return entry;
  });
}

/** `ip -json -batch` prints one JSON document per command, one per line. */
export function splitJsonDocuments(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
