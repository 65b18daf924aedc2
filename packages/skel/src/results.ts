/**
 * Results crossing skel: a prevResult coming in (any version, converted up to
 * the 1.1.0 model handlers work with) and an ADD result going out (converted
 * to the config's version).
 */
import { CniError, ErrorCode, convertResult, isCniError, parseResult, toCurrent } from "@tscni/types";
import { resultForVersion } from "@tscni/types/internal";
import type { AnyResult, Result } from "@tscni/types";
import { resultShapeOf } from "@tscni/types/schemas";

/** prevResult without a cniVersion is taken to be in the config's version (docs/spec-notes.md §4.4, §8). */
export function preparePrevResult(raw: unknown, configVersion: string): Result | undefined {
  if (raw === undefined || raw === null) return undefined;
  try {
    return toCurrent(parseResult(raw, { defaultVersion: configVersion }));
  } catch (e) {
    const inner = isCniError(e) ? e : undefined;
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid prevResult: ${inner?.msg ?? (e instanceof Error ? e.message : String(e))}`,
      inner?.details,
    );
  }
}

/**
 * The document ADD prints. A handler normally returns the 1.1.0 model; a
 * result carrying an older cniVersion (e.g. a delegate's answer passed
 * through) or the 0.1.0/0.2.0 shape without one is converted from there.
 * A result that does not validate is the plugin's bug: code 999.
 */
export function resultToPrint(returned: unknown, configVersion: string): AnyResult {
  if (returned === null || typeof returned !== "object" || Array.isArray(returned)) {
    throw new CniError(
      ErrorCode.Internal,
      "the ADD handler returned no result",
      `expected a result object, got ${returned === null ? "null" : Array.isArray(returned) ? "an array" : typeof returned}`,
    );
  }
  const obj = returned as Record<string, unknown>;
  const ownVersion = typeof obj.cniVersion === "string" && obj.cniVersion !== "" ? obj.cniVersion : undefined;
  const legacyShape = "ip4" in obj || "ip6" in obj;
  if ((ownVersion === undefined && !legacyShape) || (ownVersion !== undefined && resultShapeOf(ownVersion) === "1.1.0")) {
    return resultForVersion(obj as unknown as Result, configVersion);
  }
  let parsed: AnyResult;
  try {
    parsed = parseResult(obj, { defaultVersion: legacyShape ? "0.2.0" : "1.1.0" });
  } catch (e) {
    const inner = isCniError(e) ? e : undefined;
    throw new CniError(ErrorCode.Internal, `the ADD handler returned an invalid result: ${inner?.msg ?? String(e)}`, inner?.details);
  }
  return convertResult(parsed, configVersion);
}
