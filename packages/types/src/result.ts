/**
 * Results across the seven spec versions. Versions are grouped by wire shape
 * (0.1.0-0.2.0, 0.3.0-0.4.0, 1.0.0-1.1.0) and every conversion goes through
 * the 1.1.0 model: up to the model, then down to the target shape. Two
 * converters per shape instead of one per pair of versions.
 */
import type {
  AnyResult,
  DNS,
  Interface,
  IPConfig,
  IPConfig020,
  IPConfig040,
  Result,
  Result020,
  Result040,
  Route,
} from "./model.js";
import { CURRENT_VERSION, SPEC_VERSIONS, isSpecVersion } from "./model.js";
import { CniError, ErrorCode } from "./errors.js";
import { familyOf } from "./ip-text.js";
import { resultModelIssues } from "./checks.js";
import { formatIssues } from "./issues.js";
import { resultSchemaFor, resultShapeOf } from "./schemas.js";

/** What the schemas produce: optional keys may hold undefined or null. */
type Loose<T> = { [K in keyof T]?: T[K] | null | undefined };

/** "4" or "6" from an address or CIDR's syntax. */
export function ipFamily(address: string): "4" | "6" {
  return familyOf(address) === 6 ? "6" : "4";
}

function nonEmpty(list: readonly unknown[] | null | undefined): boolean {
  return Array.isArray(list) && list.length > 0;
}

// ------------------------------------------------------------ compaction
// Go omits empty strings, zero mtu/advmss/priority, empty lists and an empty
// DNS; these helpers give every shape the same omissions so that equal
// results serialise equally.

function compactDns(dns: Loose<DNS> | null | undefined): DNS | undefined {
  if (!dns) return undefined;
  const out: DNS = {
    ...(nonEmpty(dns.nameservers) && { nameservers: [...dns.nameservers!] }),
    ...(dns.domain && { domain: dns.domain }),
    ...(nonEmpty(dns.search) && { search: [...dns.search!] }),
    ...(nonEmpty(dns.options) && { options: [...dns.options!] }),
  };
  return Object.keys(out).length ? out : undefined;
}

function compactRoute(r: Loose<Route>): Route {
  return {
    dst: r.dst!,
    ...(r.gw && { gw: r.gw }),
    ...(r.mtu ? { mtu: r.mtu } : {}),
    ...(r.advmss ? { advmss: r.advmss } : {}),
    ...(r.priority ? { priority: r.priority } : {}),
    ...(r.table != null && { table: r.table }),
    ...(r.scope != null && { scope: r.scope }),
  };
}

function compactInterface(i: Loose<Interface>): Interface {
  return {
    name: i.name ?? "",
    ...(i.mac && { mac: i.mac }),
    ...(i.mtu ? { mtu: i.mtu } : {}),
    ...(i.sandbox && { sandbox: i.sandbox }),
    ...(i.socketPath && { socketPath: i.socketPath }),
    ...(i.pciID && { pciID: i.pciID }),
  };
}

function compactIp(ip: Loose<IPConfig>): IPConfig {
  return {
    ...(ip.interface != null && { interface: ip.interface }),
    address: ip.address!,
    ...(ip.gateway && { gateway: ip.gateway }),
  };
}

/** Assembles a 1.x-ordered result, leaving out empty sections. */
function assemble(
  cniVersion: string,
  parts: { interfaces?: unknown[]; ips?: unknown[]; routes?: unknown[]; dns?: DNS | undefined },
): Record<string, unknown> {
  return {
    cniVersion,
    ...(nonEmpty(parts.interfaces) && { interfaces: parts.interfaces }),
    ...(nonEmpty(parts.ips) && { ips: parts.ips }),
    ...(nonEmpty(parts.routes) && { routes: parts.routes }),
    ...(parts.dns && { dns: parts.dns }),
  };
}

// ------------------------------------------------------------ up to the model

function modelFrom100(r: Loose<Result>): Result {
  return assemble(CURRENT_VERSION, {
    interfaces: (r.interfaces ?? []).map(compactInterface),
    ips: (r.ips ?? []).map(compactIp),
    routes: (r.routes ?? []).map(compactRoute),
    dns: compactDns(r.dns),
  }) as unknown as Result;
}

function modelFrom040(r: Loose<Result040>): Result {
  return modelFrom100({ ...r, ips: (r.ips ?? []).map(({ version: _version, ...ip }) => ip) } as Loose<Result>);
}

function modelFrom020(r: Loose<Result020>): Result {
  const ips: IPConfig[] = [];
  const routes: Route[] = [];
  for (const ipn of [r.ip4, r.ip6]) {
    if (!ipn) continue;
    ips.push({ address: ipn.ip, ...(ipn.gateway !== undefined && { gateway: ipn.gateway }) });
    routes.push(...((ipn.routes ?? []) as Route[]));
  }
  return modelFrom100({ ips, routes, dns: r.dns } as Loose<Result>);
}

// ------------------------------------------------------------ down from the model

function to040(model: Result, cniVersion: string): Result040 {
  return assemble(cniVersion, {
    interfaces: (model.interfaces ?? []).map((i) => ({
      name: i.name,
      ...(i.mac && { mac: i.mac }),
      ...(i.sandbox && { sandbox: i.sandbox }),
    })),
    ips: (model.ips ?? []).map(
      (ip): IPConfig040 => ({ version: ipFamily(ip.address), ...compactIp(ip) }),
    ),
    routes: model.routes ?? [],
    dns: model.dns,
  }) as unknown as Result040;
}

function to020(model: Result, cniVersion: string): Result020 {
  const ips = model.ips ?? [];
  const first4 = ips.find((ip) => ipFamily(ip.address) === "4");
  const first6 = ips.find((ip) => ipFamily(ip.address) === "6");
  if (!first4 && !first6) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `cannot convert result to CNI version ${cniVersion}`,
      `a ${cniVersion} result carries an IPv4 and/or an IPv6 address (ip4/ip6) and this result has no IP address`,
    );
  }
  const block = (ip: IPConfig | undefined, family: "4" | "6"): IPConfig020 | undefined => {
    if (!ip) return undefined;
    const routes = (model.routes ?? [])
      .filter((r) => ipFamily(r.dst) === family)
      .map((r) => ({ dst: r.dst, ...(r.gw && { gw: r.gw }) }));
    return { ip: ip.address, ...(ip.gateway && { gateway: ip.gateway }), ...(routes.length && { routes }) };
  };
  const ip4 = block(first4, "4");
  const ip6 = block(first6, "6");
  return {
    cniVersion,
    ...(ip4 && { ip4 }),
    ...(ip6 && { ip6 }),
    ...(model.dns && { dns: model.dns }),
  };
}

function fromModel(model: Result, to: string): AnyResult {
  switch (resultShapeOf(to)) {
    case "0.2.0":
      return to020(model, to);
    case "0.4.0":
      return to040(model, to);
    case "1.1.0":
      return { ...model, cniVersion: to };
    default:
      throw new CniError(
        ErrorCode.IncompatibleVersion,
        `cannot convert result to CNI version ${JSON.stringify(to)}`,
        `unknown version; known versions are ${SPEC_VERSIONS.join(", ")}`,
      );
  }
}

// ------------------------------------------------------------ public API

function decodeJson(json: unknown): unknown {
  if (typeof json !== "string" && !(json instanceof Uint8Array)) return json;
  const text = typeof json === "string" ? json : Buffer.from(json).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, "decoding CNI result", `invalid JSON: ${(e as Error).message}`);
  }
}

const SHAPE_KEYS = { legacy: ["ip4", "ip6"], current: ["interfaces", "ips", "routes"] } as const;

/**
 * A result read with the wrong shape would silently lose its addresses (Go's
 * 0.2.0 parser ignores `ips`): refuse keys that belong to the other shapes.
 */
function refuseForeignKeys(obj: Record<string, unknown>, version: string): void {
  const legacy = resultShapeOf(version) === "0.2.0";
  const foreign = (legacy ? SHAPE_KEYS.current : SHAPE_KEYS.legacy).find((k) => obj[k] != null);
  if (foreign === undefined) return;
  throw new CniError(
    ErrorCode.DecodingFailure,
    `invalid CNI ${version} result`,
    `${foreign}: a ${version} result carries ${legacy ? "ip4/ip6" : "interfaces/ips/routes"}, not ${foreign}; ` +
      `the result reads as ${version} (is its cniVersion missing or wrong?)`,
  );
}

/** Validates a result in its own version's shape and returns the model it describes. */
function validated(obj: Record<string, unknown>, version: string): Result {
  refuseForeignKeys(obj, version);
  const parsed = resultSchemaFor(version).safeParse({ ...obj, cniVersion: version }, { reportInput: true });
  if (!parsed.success) {
    throw new CniError(ErrorCode.DecodingFailure, `invalid CNI ${version} result`, formatIssues(parsed.error.issues, obj));
  }
  const data = parsed.data as unknown as Record<string, unknown>;
  if (resultShapeOf(version) === "0.4.0") {
    for (const [i, ip] of ((data.ips ?? []) as Loose<IPConfig040>[]).entries()) {
      if (ip.version && ip.version !== ipFamily(ip.address!)) {
        throw new CniError(
          ErrorCode.DecodingFailure,
          `invalid CNI ${version} result`,
          `ips[${i}].version: "${ip.version}" does not match the address family of ${JSON.stringify(ip.address)}`,
        );
      }
    }
  }
  switch (resultShapeOf(version)) {
    case "0.2.0":
      return modelFrom020(data as Loose<Result020>);
    case "0.4.0":
      return modelFrom040(data as Loose<Result040>);
    default:
      return modelFrom100(data as Loose<Result>);
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `${what} must be a JSON object`,
      `got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

function versionOf(obj: Record<string, unknown>, defaultVersion: string | undefined): string {
  const v = obj.cniVersion;
  if (v === undefined || v === null || v === "") return defaultVersion || "0.1.0";
  if (typeof v !== "string") {
    throw new CniError(ErrorCode.DecodingFailure, "invalid CNI result", `cniVersion: expected string, got ${JSON.stringify(v)}`);
  }
  if (!isSpecVersion(v)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `unsupported CNI result version ${JSON.stringify(v)}`,
      `known versions are ${SPEC_VERSIONS.join(", ")}`,
    );
  }
  return v;
}

/**
 * Validates a result (an object, or its JSON text) against the shape of its
 * own `cniVersion` and returns it normalised in that shape: empty sections and
 * empty gateways left out, a 0.3.x/0.4.0 IP's missing `version` filled in.
 * A missing or empty `cniVersion` reads as `defaultVersion` (the config's
 * version when the result comes from a delegate), else 0.1.0 as Go does.
 * Any problem is CniError 6 naming the field and the value.
 */
export function parseResult(json: unknown, opts: { defaultVersion?: string } = {}): AnyResult {
  const obj = asObject(decodeJson(json), "a CNI result");
  const version = versionOf(obj, opts.defaultVersion);
  return fromModel(validated(obj, version), version);
}

/**
 * Converts a result to another spec version (any of the 7x7 pairs). The input
 * is validated first (CniError 6). Converting to 0.1.0/0.2.0 keeps the first
 * IPv4 and first IPv6 address and the routes of those families, and fails with
 * CniError 1 when there is no address to carry; an unknown target is CniError 1.
 */
export function convertResult(result: AnyResult, to: string): AnyResult {
  const obj = asObject(result, "a CNI result");
  return fromModel(validated(obj, versionOf(obj, undefined)), to);
}

/** The result in the 1.1.0 model handlers work with. */
export function toCurrent(result: AnyResult): Result {
  return convertResult(result, CURRENT_VERSION) as Result;
}

/**
 * The object skel prints for a handler's result: the 1.1.0 model (whatever
 * `cniVersion` it carries) converted to the config's `version`, empty
 * sections omitted. A result that does not validate is the plugin's bug:
 * CniError 999 naming the field; an impossible conversion is CniError 1.
 */
export function resultForVersion(result: Result, version: string): AnyResult {
  let model: Result;
  try {
    const obj = asObject(result, "a plugin's result");
    if ("ip4" in obj || "ip6" in obj) {
      throw new CniError(
        ErrorCode.Internal,
        "plugin returned a 0.1.0/0.2.0-shaped result",
        "handlers return the 1.1.0 model (interfaces, ips, routes, dns); convert an old result with toCurrent()",
      );
    }
    // The plugin's own output, typed by its handler: checked without building the zod result schema.
    const issues = resultModelIssues(obj);
    if (issues.length) throw new CniError(ErrorCode.Internal, "plugin returned an invalid result", formatIssues(issues, obj));
    model = modelFrom100(obj as Loose<Result>);
  } catch (e) {
    if (e instanceof CniError && e.code === ErrorCode.DecodingFailure) {
      throw new CniError(ErrorCode.Internal, "plugin returned an invalid result", e.details ?? e.msg, { cause: e });
    }
    throw e;
  }
  return fromModel(model, version);
}
