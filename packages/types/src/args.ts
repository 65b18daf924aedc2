/**
 * CNI_ARGS: `K1=V1;K2=V2`. The pair syntax follows Go's `types.LoadArgs`
 * exactly (split on ";", then each piece must split on "=" into exactly two
 * parts), so a string Go plugins reject is rejected here too. Decisions:
 * - "" is no arguments; a trailing ";" or an empty piece is a malformed pair (Go).
 * - A value containing "=" is a malformed pair (Go); `K=` is an empty value (Go).
 * - An empty key (`=v`) is a malformed pair (Go would file it as an unknown key).
 * - Keys are case-sensitive and nothing is trimmed (Go).
 * - A repeated key: the last value wins, and with a schema every earlier value
 *   must be valid too (Go parses each occurrence).
 * - Unknown keys are ignored unless `strict` is set, because runtimes send
 *   K8S_POD_* keys to every plugin; in strict mode `IgnoreUnknown=1|true`
 *   (any case) still allows them, as Go's CommonArgs does, and another
 *   IgnoreUnknown value than 1/0/true/false is an error (Go).
 */
import { CniError, ErrorCode } from "./errors.js";
import { formatIssues } from "./issues.js";
import type { InferOutput, StandardSchemaV1 } from "./standard-schema.js";

export interface ParseCniArgsOptions {
  /** Reject keys the schema does not name (unless IgnoreUnknown=1|true is among the pairs). */
  strict?: boolean;
}

/** The keys an object schema declares: zod (classic or mini) and valibot expose them. */
function declaredKeys(schema: StandardSchemaV1): Set<string> | undefined {
  const s = schema as {
    _zod?: { def?: { shape?: Record<string, unknown> } };
    entries?: Record<string, unknown>;
  };
  const shape = s._zod?.def?.shape ?? s.entries;
  return shape && typeof shape === "object" ? new Set(Object.keys(shape)) : undefined;
}

/** The pairs in order, repeats included: Go parses every occurrence of a key, and the last one sticks. */
function splitPairs(raw: string): [string, string][] {
  if (raw === "") return [];
  return raw.split(";").map((piece) => {
    const parts = piece.split("=");
    if (parts.length !== 2 || parts[0] === "") {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `invalid pair ${JSON.stringify(piece)} in CNI_ARGS`,
        `CNI_ARGS is KEY=VALUE pairs separated by ";" (one "=" per pair, a non-empty key, no trailing ";"); got ${JSON.stringify(raw)}`,
      );
    }
    return [parts[0]!, parts[1]!];
  });
}

/** IgnoreUnknown read as Go's UnmarshallableBool reads it (1/0/true/false, any case), every occurrence checked. */
function ignoreUnknown(pairs: [string, string][]): boolean {
  let ignore = false;
  for (const [k, v] of pairs) {
    if (k !== "IgnoreUnknown") continue;
    const lower = v.toLowerCase();
    if (lower !== "1" && lower !== "true" && lower !== "0" && lower !== "false") {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `invalid value in CNI_ARGS pair ${JSON.stringify(`IgnoreUnknown=${v}`)}`,
        "IgnoreUnknown is 1, 0, true or false",
      );
    }
    ignore = lower === "1" || lower === "true";
  }
  return ignore;
}

function validate(schema: StandardSchemaV1, input: Record<string, string>, pair: [string, string] | undefined): unknown {
  const result = schema["~standard"].validate(input);
  if (result instanceof Promise) {
    throw new CniError(ErrorCode.Internal, "the CNI_ARGS schema is asynchronous", "use a schema without async refinements");
  }
  if (!result.issues) return result.value;
  const seg = result.issues[0]?.path?.[0];
  const key = typeof seg === "object" && seg !== null ? seg.key : seg;
  const named = pair ?? (typeof key === "string" && key in input ? [key, input[key]!] : undefined);
  throw new CniError(
    ErrorCode.InvalidEnvironment,
    named ? `invalid value in CNI_ARGS pair ${JSON.stringify(`${named[0]}=${named[1]}`)}` : "invalid CNI_ARGS",
    formatIssues(result.issues, input),
  );
}

export function parseCniArgs(raw: string, schema?: undefined, opts?: ParseCniArgsOptions): Record<string, string>;
export function parseCniArgs<S extends StandardSchemaV1>(raw: string, schema: S, opts?: ParseCniArgsOptions): InferOutput<S>;
/** A schema that may be absent (skel passes the plugin's `args` option as it is). */
export function parseCniArgs(raw: string, schema: StandardSchemaV1 | undefined, opts?: ParseCniArgsOptions): unknown;
/**
 * Parses CNI_ARGS into an object. Without a schema every pair is returned as
 * a string. With a Standard Schema (zod classic or mini, valibot...) the
 * values are validated and coerced by it; unknown keys are dropped unless
 * `strict`. Errors are CniError 4 naming CNI_ARGS and the offending pair.
 */
export function parseCniArgs(raw: string, schema?: StandardSchemaV1, opts: ParseCniArgsOptions = {}): unknown {
  if (typeof raw !== "string") raw = "";
  const pairs = splitPairs(raw);
  const known = schema ? declaredKeys(schema) : undefined;
  if (opts.strict && !ignoreUnknown(pairs)) {
    const unknown = pairs.filter(([k]) => k !== "IgnoreUnknown" && !(known?.has(k) ?? false));
    if (unknown.length) {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `unknown args in CNI_ARGS: [${unknown.map(([k, v]) => JSON.stringify(`${k}=${v}`)).join(" ")}]`,
        `this plugin accepts ${known && known.size ? [...known].join(", ") : "no CNI_ARGS keys"}; add IgnoreUnknown=1 to allow others`,
      );
    }
  }
  const relevant = pairs.filter(([k]) => !schema || !known || known.has(k));
  const input = Object.fromEntries(relevant);
  if (!schema) return input;
  // A value that a later pair of the same key replaces must still be valid, as in Go.
  relevant.forEach((pair, i) => {
    if (relevant.findLastIndex(([k]) => k === pair[0]) !== i) validate(schema, { ...input, [pair[0]]: pair[1] }, pair);
  });
  return validate(schema, input, undefined);
}
