/**
 * Spec version strings: parsing with Go's rules, comparison, and the
 * versions a plugin supports.
 */
import { CniError, ErrorCode, isSpecVersion, SPEC_VERSIONS } from "@tscni/types";
import type { SpecVersion } from "@tscni/types";

/** Every spec version, oldest first. */
export const ALL_VERSIONS: readonly SpecVersion[] = SPEC_VERSIONS;

/** The spec versions a plugin speaks, as listed in its VERSION answer (as a runtime reads it: any strings). */
export interface PluginInfo {
  readonly supportedVersions: readonly string[];
}

/** What a plugin declares it supports: spec version strings only, written in full. */
export interface PluginSupport extends PluginInfo {
  readonly supportedVersions: readonly SpecVersion[];
}

const PART_NAMES = ["major", "minor", "micro"] as const;

/**
 * Parses a version with Go's rules and returns it normalised to
 * `major.minor.micro`: "" is 0.1.0, "1" is 1.0.0, "1.2" is 1.2.0, "01.2.3"
 * is 1.2.3. Four or more parts, empty parts, pre-release suffixes and
 * anything but decimal digits are CniError 6. (Go's Atoi also takes a sign,
 * so "-1.0.0" parses there; a negative version means nothing, so it is
 * rejected here.)
 */
export function parseVersion(version: string): string {
  if (typeof version !== "string") {
    throw new CniError(ErrorCode.DecodingFailure, `invalid version ${JSON.stringify(version) ?? String(version)}: not a string`);
  }
  if (version === "") return "0.1.0";
  const parts = version.split(".");
  if (parts.length > 3) {
    throw new CniError(ErrorCode.DecodingFailure, `invalid version ${JSON.stringify(version)}: too many parts`);
  }
  const numbers = parts.map((part, i) => {
    const n = Number(part);
    if (!/^[0-9]+$/.test(part) || !Number.isSafeInteger(n)) {
      throw new CniError(
        ErrorCode.DecodingFailure,
        `invalid version ${JSON.stringify(version)}: failed to convert ${PART_NAMES[i]} version part ${JSON.stringify(part)}`,
      );
    }
    return n;
  });
  while (numbers.length < 3) numbers.push(0);
  return numbers.join(".");
}

/**
 * -1, 0 or 1 comparing two versions numerically; either unparseable is CniError 6.
 * parseVersion leaves three safe integers, so this is plain number comparison:
 * semver's compare cost every plugin exec its parsing and the regular
 * expressions it builds at load (architecture.md, @tscni/version).
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parseVersion(a).split(".").map(Number);
  const y = parseVersion(b).split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** True when `a` >= `b`. */
export function versionAtLeast(a: string, b: string): boolean {
  return compareVersions(a, b) >= 0;
}

/**
 * The PluginInfo for a list of versions. Each must be written in full
 * (`"1.0.0"`, not `"1.0"`): the spec matches a config's version against this
 * list by exact string, so a short form would never match. An empty list or a
 * malformed version is a programming error and throws.
 */
export function pluginSupports(...versions: SpecVersion[]): PluginSupport {
  if (versions.length === 0) {
    throw new CniError(ErrorCode.Internal, "pluginSupports() needs at least one version");
  }
  for (const v of versions) {
    if (parseVersion(v) !== v) {
      throw new CniError(
        ErrorCode.Internal,
        `pluginSupports(): write version ${JSON.stringify(v)} as ${JSON.stringify(parseVersion(v))}`,
        "a config's cniVersion is matched against the supported list by exact string",
      );
    }
  }
  return Object.freeze({ supportedVersions: Object.freeze([...new Set(versions)]) });
}

/**
 * What a plugin may declare as its versions: `pluginSupports(...)`'s answer or
 * a plain list, of the spec's seven version strings only ("1.0" does not type-check).
 */
export type DeclaredVersions = PluginSupport | readonly SpecVersion[];

/**
 * The PluginInfo for what a plugin declared (undefined: every spec version),
 * checked again at run time because a list built at run time or cast past the
 * type reaches here too: VERSION would answer "1.0", which no config's
 * cniVersion ever equals (matching is by exact string), and every config would
 * then be refused. Each entry must be one of the spec's version strings, as
 * written there; anything else is CniError 999 naming the entry, before the
 * plugin does anything else.
 */
export function declaredVersionInfo(declared: unknown): PluginInfo {
  if (declared === undefined) return { supportedVersions: ALL_VERSIONS };
  const list: unknown =
    typeof declared === "object" && declared !== null && !Array.isArray(declared) ? (declared as { supportedVersions?: unknown }).supportedVersions : declared;
  if (!Array.isArray(list)) {
    throw new CniError(ErrorCode.Internal, "the plugin's versions are not a list of spec version strings", `got ${typeof list}`);
  }
  if (list.length === 0) throw new CniError(ErrorCode.Internal, "the plugin declares no supported CNI versions");
  for (const v of list as unknown[]) {
    if (isSpecVersion(v)) continue;
    const shown = typeof v === "string" ? JSON.stringify(v) : `${String(v)} (${typeof v})`;
    let canonical: string | undefined;
    try {
      canonical = typeof v === "string" ? parseVersion(v) : undefined;
    } catch {
      canonical = undefined;
    }
    const hint = canonical !== undefined && isSpecVersion(canonical) ? `write it as ${JSON.stringify(canonical)}` : `spec versions: ${ALL_VERSIONS.join(", ")}`;
    throw new CniError(ErrorCode.Internal, `the plugin declares version ${shown}, which is not a spec version string`, hint);
  }
  return { supportedVersions: list as readonly SpecVersion[] };
}

/** Every spec version from `min` on: `versionsStartingFrom("0.3.1")` = 0.3.1, 0.4.0, 1.0.0, 1.1.0. */
export function versionsStartingFrom(min: string): PluginSupport {
  const from = parseVersion(min);
  const versions = ALL_VERSIONS.filter((v) => compareVersions(v, from) >= 0);
  if (versions.length === 0) {
    throw new CniError(ErrorCode.Internal, `versionsStartingFrom(${JSON.stringify(min)}): no spec version is that new`);
  }
  return pluginSupports(...versions);
}

/** The newest version in a plugin's list. */
export function newestSupported(info: PluginInfo): string {
  let newest: string | undefined;
  for (const v of info.supportedVersions) {
    try {
      parseVersion(v);
    } catch {
      // A runtime may decode a plugin that lists odd versions (Go's noop lists "0.-42.0"); skip those.
      continue;
    }
    if (newest === undefined || compareVersions(v, newest) > 0) newest = v;
  }
  return newest ?? info.supportedVersions[info.supportedVersions.length - 1] ?? "0.1.0";
}
