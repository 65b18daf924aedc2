/** The spec versions whose rules this checker knows, oldest first. */
export const KNOWN_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type KnownVersion = (typeof KNOWN_VERSIONS)[number];

export function isKnownVersion(v: string): v is KnownVersion {
  return (KNOWN_VERSIONS as readonly string[]).includes(v);
}

/** A well-formed spec version: three non-negative decimal numbers (SemVer 2.0 without pre-release). */
export function isWellFormedVersion(v: unknown): v is string {
  return typeof v === "string" && /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(v);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const atLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0;

/** Result shapes, grouped as the spec versions define them. */
export type ResultFamily = "0.1" | "0.3" | "1.0";
export function resultFamily(v: KnownVersion): ResultFamily {
  if (v === "0.1.0" || v === "0.2.0") return "0.1";
  if (v === "1.0.0" || v === "1.1.0") return "1.0";
  return "0.3";
}

/** CHECK appeared in 0.4.0, GC and STATUS in 1.1.0, chaining (prevResult) in 0.3.0. */
export const supportsCheck = (v: string): boolean => atLeast(v, "0.4.0");
export const supportsGcStatus = (v: string): boolean => atLeast(v, "1.1.0");
export const supportsChaining = (v: string): boolean => atLeast(v, "0.3.0");
/** From 0.4.0 on, the runtime passes the ADD result as prevResult to DEL and CHECK. */
export const passesPrevResultOnDel = (v: string): boolean => atLeast(v, "0.4.0");
