/**
 * Hand-written validators for the two documents every plugin exec handles: the
 * standard NetConf fields of stdin and the 1.1.0 result a handler returns.
 * Building the equivalent zod/mini schemas is a visible share of an ADD exec
 * (constructing schema instances, before any parsing; `npm run bench types`);
 * these cost nothing to set up. They accept, produce and report exactly what `netConfSchema()` and
 * `resultSchemaFor("1.1.0")` do, issue for issue (a property test compares
 * them on random documents), so `formatIssues` gives the same messages. The
 * address formats are zod's own functions, so both paths agree on them too.
 */
import { isValidCIDRv6, isValidIPv6 } from "zod/v4/core";
import type { IssueLike } from "./issues.js";
import type { NetConf } from "./model.js";

type Path = ReadonlyArray<string | number>;

/** Collects issues in the order zod reports them: shape order, depth first. */
class Issues {
  readonly list: IssueLike[] = [];

  type(path: Path, expected: string, input: unknown): void {
    this.list.push({ code: "invalid_type", expected, path, input });
  }

  push(issue: IssueLike): void {
    this.list.push(issue);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a zod record accepts: an object whose prototype is a plain object's (or none). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto = (ctor as { prototype?: unknown }).prototype;
  return typeof proto === "object" && proto !== null && Object.hasOwn(proto, "isPrototypeOf");
}

function checkString(value: unknown, path: Path, issues: Issues): value is string {
  if (typeof value === "string") return true;
  issues.type(path, "string", value);
  return false;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MIN_SAFE = Number.MIN_SAFE_INTEGER;

/** z.int(), and with `nonNegative` z.int().check(z.nonnegative()). */
function checkInt(value: unknown, path: Path, issues: Issues, nonNegative: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value)) return issues.type(path, "number", value);
  if (!Number.isInteger(value)) return issues.push({ code: "invalid_type", expected: "int", format: "safeint", path, input: value });
  if (value > MAX_SAFE) issues.push({ code: "too_big", origin: "int", maximum: MAX_SAFE, inclusive: true, path, input: value });
  if (value < MIN_SAFE) issues.push({ code: "too_small", origin: "int", minimum: MIN_SAFE, inclusive: true, path, input: value });
  if (nonNegative && value < 0) issues.push({ code: "too_small", origin: "number", minimum: 0, inclusive: true, path, input: value });
}

/** A union of two string formats fails as zod's does: each branch's one issue. */
function formatUnionIssue(value: unknown, path: Path, formats: readonly [string, string]): IssueLike {
  const branch = (format: string): IssueLike[] =>
    typeof value === "string" ? [{ code: "invalid_format", format, path: [], input: value }] : [{ code: "invalid_type", expected: "string", path: [], input: value }];
  return { code: "invalid_union", errors: [branch(formats[0]), branch(formats[1])], path, input: value };
}

// Dotted-quad IPv4 without leading zeros, and a /0-/32 prefix without one: what z.ipv4() and z.cidrv4() accept.
// (Importing zod's `regexes` namespace would carry all of its patterns into every bundle.)
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const CIDRV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)\/(?:3[0-2]|[12]\d|\d)$/;

const isCidr = (value: string): boolean => CIDRV4.test(value) || isValidCIDRv6(value);
const isIp = (value: string): boolean => IPV4.test(value) || isValidIPv6(value);

function checkCidr(value: unknown, path: Path, issues: Issues): void {
  if (typeof value === "string" && isCidr(value)) return;
  issues.push(formatUnionIssue(value, path, ["cidrv4", "cidrv6"]));
}

/** An optional gateway: an IPv4 or IPv6 address, or "" (Go's unset). */
function checkGateway(value: unknown, path: Path, issues: Issues): void {
  if (value === undefined || value === "" || (typeof value === "string" && isIp(value))) return;
  const ipBranch = { ...formatUnionIssue(value, [], ["ipv4", "ipv6"]) };
  const emptyBranch: IssueLike = { code: "invalid_value", values: [""], path: [], input: value };
  issues.push({ code: "invalid_union", errors: [[ipBranch], [emptyBranch]], path, input: value });
}

/** An optional, nullable array; `each` checks one element at its path. */
function checkList(value: unknown, path: Path, issues: Issues, each: (item: unknown, path: Path) => void): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) return issues.type(path, "array", value);
  for (let i = 0; i < value.length; i++) each(value[i], [...path, i]);
}

function checkObject(value: unknown, path: Path, issues: Issues): value is Record<string, unknown> {
  if (isObject(value)) return true;
  issues.type(path, "object", value);
  return false;
}

function optionalString(obj: Record<string, unknown>, key: string, path: Path, issues: Issues): void {
  if (obj[key] !== undefined) checkString(obj[key], [...path, key], issues);
}

function optionalUint(obj: Record<string, unknown>, key: string, path: Path, issues: Issues): void {
  if (obj[key] !== undefined) checkInt(obj[key], [...path, key], issues, true);
}

const stringList = (issues: Issues) => (item: unknown, path: Path) => checkString(item, path, issues);

/** The DNS object of both NetConf and results; returns the keys zod keeps, in its order. */
function checkDns(value: unknown, path: Path, issues: Issues): Record<string, unknown> | undefined {
  if (!checkObject(value, path, issues)) return undefined;
  checkList(value.nameservers, [...path, "nameservers"], issues, stringList(issues));
  optionalString(value, "domain", path, issues);
  checkList(value.search, [...path, "search"], issues, stringList(issues));
  checkList(value.options, [...path, "options"], issues, stringList(issues));
  return pick(value, ["nameservers", "domain", "search", "options"]);
}

/** The named keys present in `obj`, in the given order, as z.object outputs them (arrays copied). */
function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (!(key in obj)) continue;
    const value = obj[key];
    out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** Every key but `__proto__` (which would replace the copy's prototype), as zod copies records and loose objects. */
function copyRest(from: Record<string, unknown>, into: Record<string, unknown>, skip: readonly string[]): void {
  for (const key in from) {
    if (skip.includes(key) || key === "__proto__") continue;
    into[key] = from[key];
  }
}

function checkRecord(value: unknown, path: Path, issues: Issues, each?: (item: unknown, path: Path) => void): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    issues.type(path, "record", value);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === "__proto__") continue;
    each?.(value[key], [...path, key]);
    out[key] = value[key];
  }
  return out;
}

function checkAttachments(value: unknown, path: Path, issues: Issues): unknown {
  if (value === undefined || value === null) return value;
  checkList(value, path, issues, (item, at) => {
    if (!checkObject(item, at, issues)) return;
    checkString(item.containerID, [...at, "containerID"], issues);
    checkString(item.ifname, [...at, "ifname"], issues);
  });
  return Array.isArray(value) ? value.map((a) => (isObject(a) ? { containerID: a.containerID, ifname: a.ifname } : a)) : value;
}

const NETCONF_KEYS = [
  "cniVersion",
  "name",
  "type",
  "capabilities",
  "ipam",
  "dns",
  "args",
  "runtimeConfig",
  "prevResult",
  "cni.dev/valid-attachments",
  "cni.dev/attachments",
] as const;

export type NetConfValidation =
  | { readonly value: NetConf; readonly issues?: undefined }
  | { readonly value?: undefined; readonly issues: readonly IssueLike[] };

/**
 * The standard fields of a plugin's network configuration, as
 * `netConfSchema()` validates them: the same output (unknown keys passed
 * through, a missing or empty cniVersion read as 0.1.0) and the same issues.
 */
export function validateNetConf(input: unknown): NetConfValidation {
  const issues = new Issues();
  if (!isObject(input)) {
    issues.type([], "object", input);
    return { issues: issues.list };
  }
  const out: Record<string, unknown> = {};
  const cniVersion = input.cniVersion;
  if (cniVersion === undefined || checkString(cniVersion, ["cniVersion"], issues)) out.cniVersion = cniVersion || "0.1.0";
  for (const key of ["name", "type"] as const) {
    if (checkString(input[key], [key], issues)) out[key] = input[key];
  }
  for (const key of NETCONF_KEYS.slice(3)) {
    if (!(key in input)) continue;
    const value = input[key];
    if (value === undefined) {
      out[key] = undefined;
      continue;
    }
    const path = [key];
    switch (key) {
      case "capabilities":
        out[key] = checkRecord(value, path, issues, (v, at) => v === true || v === false || issues.type(at, "boolean", v));
        break;
      case "ipam":
        if (checkObject(value, path, issues)) {
          optionalString(value, "type", path, issues);
          const ipam = pick(value, ["type"]);
          copyRest(value, ipam, ["type"]);
          out[key] = ipam;
        }
        break;
      case "dns":
        out[key] = checkDns(value, path, issues);
        break;
      case "cni.dev/valid-attachments":
      case "cni.dev/attachments":
        out[key] = checkAttachments(value, path, issues);
        break;
      default:
        out[key] = checkRecord(value, path, issues);
    }
  }
  if (issues.list.length) return { issues: issues.list };
  copyRest(input, out, NETCONF_KEYS);
  return { value: out as NetConf };
}

function checkInterface(value: unknown, path: Path, issues: Issues): void {
  if (!checkObject(value, path, issues)) return;
  checkString(value.name, [...path, "name"], issues);
  optionalString(value, "mac", path, issues);
  optionalUint(value, "mtu", path, issues);
  for (const key of ["sandbox", "socketPath", "pciID"]) optionalString(value, key, path, issues);
}

function checkIpConfig(value: unknown, path: Path, issues: Issues): void {
  if (!checkObject(value, path, issues)) return;
  if (value.interface !== undefined) checkInt(value.interface, [...path, "interface"], issues, false);
  checkCidr(value.address, [...path, "address"], issues);
  checkGateway(value.gateway, [...path, "gateway"], issues);
}

function checkRoute(value: unknown, path: Path, issues: Issues): void {
  if (!checkObject(value, path, issues)) return;
  checkCidr(value.dst, [...path, "dst"], issues);
  checkGateway(value.gw, [...path, "gw"], issues);
  for (const key of ["mtu", "advmss", "priority", "table", "scope"]) optionalUint(value, key, path, issues);
}

/**
 * What is wrong with a result in the 1.0.0/1.1.0 shape (its cniVersion aside),
 * as `resultSchemaFor("1.1.0")` reports it; [] when it is valid. For the
 * result a plugin's own handler returns: nothing is built to check it.
 */
export function resultModelIssues(result: Record<string, unknown>): IssueLike[] {
  const issues = new Issues();
  checkList(result.interfaces, ["interfaces"], issues, (item, path) => checkInterface(item, path, issues));
  checkList(result.ips, ["ips"], issues, (item, path) => checkIpConfig(item, path, issues));
  checkList(result.routes, ["routes"], issues, (item, path) => checkRoute(item, path, issues));
  if (result.dns !== undefined && result.dns !== null) checkDns(result.dns, ["dns"], issues);
  return issues.list;
}
