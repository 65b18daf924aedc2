import { isIP } from "node:net";
import { formatIssues } from "@tscni/types/internal";
import * as z from "zod/mini";
import { type KnownVersion, isWellFormedVersion, resultFamily, type ResultFamily } from "./versions.js";

/**
 * Validators for what a plugin prints: results per spec version, error objects
 * and VERSION answers. They are the checker's own, written from the spec text,
 * not the SDK's schemas: the checker judges the SDK too, so it must not share
 * the SDK's mistakes. They accept unknown keys (the spec forbids none).
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Stdout must be exactly one JSON document (surrounding whitespace is fine). */
export function parseSingleDocument(stdout: string): Parsed<unknown> {
  if (stdout.trim() === "") return { ok: false, reason: "stdout is empty" };
  try {
    return { ok: true, value: JSON.parse(stdout) };
  } catch (e) {
    return { ok: false, reason: `stdout is not exactly one JSON document (${(e as Error).message}): ${excerpt(stdout)}` };
  }
}

export function excerpt(s: string, max = 160): string {
  const flat = JSON.stringify(s);
  return flat.length > max ? `${flat.slice(0, max - 3)}..."` : flat;
}

const memo = new Map<string, z.ZodMiniType>();
function lazy<T extends z.ZodMiniType>(key: string, build: () => T): T {
  let s = memo.get(key);
  if (!s) memo.set(key, (s = build()));
  return s as T;
}

const cidr = () => z.union([z.cidrv4(), z.cidrv6()]);
const ip = () => z.union([z.ipv4(), z.ipv6()]);
const uint = () => z.int().check(z.gte(0));

function dns() {
  return z.object({
    nameservers: z.optional(z.array(ip())),
    domain: z.optional(z.string()),
    search: z.optional(z.array(z.string())),
    options: z.optional(z.array(z.string())),
  });
}

function route(extras: boolean) {
  const base = { dst: cidr(), gw: z.optional(ip()) };
  if (!extras) return z.object(base);
  return z.object({
    ...base,
    mtu: z.optional(uint()),
    advmss: z.optional(uint()),
    priority: z.optional(uint()),
    table: z.optional(uint()),
    scope: z.optional(uint()),
  });
}

function resultSchema(family: ResultFamily, version: KnownVersion): z.ZodMiniType {
  return lazy(`result-${version}`, () => {
    if (family === "0.1") {
      const ipConf = (addr: z.ZodMiniType, gw: z.ZodMiniType) =>
        z.object({ ip: addr, gateway: z.optional(gw), routes: z.optional(z.array(route(false))) });
      return z.object({
        cniVersion: z.string(),
        ip4: z.optional(ipConf(z.cidrv4(), z.ipv4())),
        ip6: z.optional(ipConf(z.cidrv6(), z.ipv6())),
        dns: z.optional(dns()),
      });
    }
    const v11 = version === "1.1.0";
    const iface = z.object({
      name: z.string(),
      mac: z.optional(z.string()),
      sandbox: z.optional(z.string()),
      ...(v11 ? { mtu: z.optional(uint()), socketPath: z.optional(z.string()), pciID: z.optional(z.string()) } : {}),
    });
    const ipEntry = z.object({
      ...(family === "0.3" ? { version: z.enum(["4", "6"]) } : {}),
      address: cidr(),
      gateway: z.optional(ip()),
      interface: z.optional(z.int()),
    });
    return z.object({
      cniVersion: z.string(),
      interfaces: z.optional(z.array(iface)),
      ips: z.optional(z.array(ipEntry)),
      routes: z.optional(z.array(route(v11))),
      dns: z.optional(dns()),
    });
  });
}

export interface ResultIp {
  address: string;
  gateway?: string;
  interface?: number;
}
export interface ResultInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}
export interface ResultRoute {
  dst: string;
  gw?: string;
}
/** The parts of any result the namespace checks compare, in the 0.3+ layout. */
export interface ResultView {
  cniVersion: string;
  interfaces: ResultInterface[];
  ips: ResultIp[];
  routes: ResultRoute[];
  raw: Record<string, unknown>;
}

/**
 * Validates a result against the shape of `version` and the rules the shape
 * alone cannot say (address family of `version`, interface index in range).
 * Returns every problem found, each naming the field.
 */
export function validateResult(doc: unknown, version: KnownVersion): Parsed<ResultView> {
  const family = resultFamily(version);
  const parsed = resultSchema(family, version).safeParse(doc);
  if (!parsed.success) return { ok: false, reason: formatIssues(parsed.error.issues, doc) };
  const r = doc as Record<string, unknown>;
  const problems: string[] = [];
  // Keys of another version's shape mean the result was built for a different version and relabelled.
  const foreign = family === "0.1" ? ["interfaces", "ips", "routes"] : ["ip4", "ip6"];
  const found = foreign.filter((k) => k in r);
  if (found.length) problems.push(`${found.join(", ")}: keys of the ${family === "0.1" ? "0.3.0+" : "0.1.0/0.2.0"} result shape in a ${version} result`);
  // 0.1.0/0.2.0: "IPs assigned to the interface: either an IPv4 address, an IPv6 address, or both".
  if (family === "0.1" && r.ip4 === undefined && r.ip6 === undefined) problems.push("neither ip4 nor ip6: a 0.1.0/0.2.0 result carries at least one");
  let view: ResultView;
  if (family === "0.1") {
    const ips: ResultIp[] = [];
    const routes: ResultRoute[] = [];
    for (const key of ["ip4", "ip6"] as const) {
      const c = r[key] as { ip: string; gateway?: string; routes?: ResultRoute[] } | undefined;
      if (!c) continue;
      ips.push({ address: c.ip, ...(c.gateway ? { gateway: c.gateway } : {}) });
      routes.push(...(c.routes ?? []));
    }
    view = { cniVersion: String(r.cniVersion), interfaces: [], ips, routes, raw: r };
  } else {
    const interfaces = (r.interfaces ?? []) as ResultInterface[];
    const ips = (r.ips ?? []) as (ResultIp & { version?: string })[];
    ips.forEach((entry, i) => {
      if (family === "0.3") {
        const fam = String(isIP(entry.address.split("/")[0] ?? ""));
        if (entry.version !== fam) problems.push(`ips[${i}].version is "${entry.version}" but address ${entry.address} is IPv${fam}`);
      }
      if (entry.interface !== undefined && entry.interface >= interfaces.length) {
        problems.push(`ips[${i}].interface is ${entry.interface} but interfaces has ${interfaces.length} entries`);
      }
    });
    interfaces.forEach((iface, i) => {
      if (iface.mac !== undefined && iface.mac !== "" && !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2})+$/.test(iface.mac)) {
        problems.push(`interfaces[${i}].mac ${JSON.stringify(iface.mac)} is not a hardware address`);
      }
    });
    view = { cniVersion: String(r.cniVersion), interfaces, ips, routes: (r.routes ?? []) as ResultRoute[], raw: r };
  }
  if (problems.length) return { ok: false, reason: problems.join("; ") };
  return { ok: true, value: view };
}

export interface ErrorDoc {
  code: number;
  msg: string;
  details?: string;
  cniVersion?: unknown;
}

/** The error object of spec §5 "Error": code and msg required, details optional. */
export function validateErrorObject(doc: unknown): Parsed<ErrorDoc> {
  const schema = lazy("error", () =>
    z.object({ code: uint(), msg: z.string(), details: z.optional(z.string()), cniVersion: z.optional(z.unknown()) }),
  );
  const parsed = schema.safeParse(doc);
  if (!parsed.success) return { ok: false, reason: formatIssues(parsed.error.issues, doc) };
  return { ok: true, value: doc as ErrorDoc };
}

export interface VersionAnswer {
  cniVersion: string;
  supportedVersions: string[];
}

/** The VERSION answer of spec §5 "Version success". */
export function validateVersionAnswer(doc: unknown): Parsed<VersionAnswer> {
  const schema = lazy("version", () =>
    z.object({ cniVersion: z.string(), supportedVersions: z.array(z.string()).check(z.minLength(1)) }),
  );
  const parsed = schema.safeParse(doc);
  if (!parsed.success) return { ok: false, reason: formatIssues(parsed.error.issues, doc) };
  const answer = doc as VersionAnswer;
  const bad = [answer.cniVersion, ...answer.supportedVersions].filter((v) => !isWellFormedVersion(v));
  if (bad.length) return { ok: false, reason: `not well-formed versions (X.Y.Z): ${bad.map((v) => JSON.stringify(v)).join(", ")}` };
  return { ok: true, value: answer };
}
