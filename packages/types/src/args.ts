/**
 * CNI_ARGS: `K1=V1;K2=V2`. The pair syntax follows Go's `types.LoadArgs`
 * exactly (split on ";", then each piece must split on "=" into exactly two
 * parts), so a string Go plugins reject is rejected here too. Decisions:
 * - "" is no arguments; a trailing ";" or an empty piece is a malformed pair (Go).
 * - A value containing "=" is a malformed pair (Go); `K=` is an empty value (Go).
 * - An empty key (`=v`) is a malformed pair (Go would file it as an unknown key).
 * - Keys are case-sensitive and nothing is trimmed (Go).
 * - A repeated key: the last value wins (Go).
 * - Unknown keys are ignored unless `strict` is set, because runtimes send
 *   K8S_POD_* keys to every plugin; in strict mode `IgnoreUnknown=1|true`
 *   (any case) still allows them, as Go's CommonArgs does.
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

function splitPairs(raw: string): Map<string, string> {
  const pairs = new Map<string, string>();
  if (raw === "") return pairs;
  for (const piece of raw.split(";")) {
    const parts = piece.split("=");
    if (parts.length !== 2 || parts[0] === "") {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `invalid pair ${JSON.stringify(piece)} in CNI_ARGS`,
        `CNI_ARGS is KEY=VALUE pairs separated by ";" (one "=" per pair, a non-empty key, no trailing ";"); got ${JSON.stringify(raw)}`,
      );
    }
    pairs.set(parts[0]!, parts[1]!);
  }
  return pairs;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && (v === "1" || v.toLowerCase() === "true");
}

export function parseCniArgs(raw: string, schema?: undefined, opts?: ParseCniArgsOptions): Record<string, string>;
export function parseCniArgs<S extends StandardSchemaV1>(raw: string, schema: S, opts?: ParseCniArgsOptions): InferOutput<S>;
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
  if (opts.strict && !isTrue(pairs.get("IgnoreUnknown"))) {
    const unknown = [...pairs].filter(([k]) => k !== "IgnoreUnknown" && !(known?.has(k) ?? false));
    if (unknown.length) {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `unknown args in CNI_ARGS: [${unknown.map(([k, v]) => JSON.stringify(`${k}=${v}`)).join(" ")}]`,
        `this plugin accepts ${known && known.size ? [...known].join(", ") : "no CNI_ARGS keys"}; add IgnoreUnknown=1 to allow others`,
      );
    }
  }
  if (!schema) return Object.fromEntries(pairs);
  const input: Record<string, string> = {};
  for (const [k, v] of pairs) if (!known || known.has(k)) input[k] = v;
  const result = schema["~standard"].validate(input);
  if (result instanceof Promise) {
    throw new CniError(ErrorCode.Internal, "the CNI_ARGS schema is asynchronous", "use a schema without async refinements");
  }
  if (result.issues) {
    const first = result.issues[0];
    const seg = first?.path?.[0];
    const key = typeof seg === "object" && seg !== null ? seg.key : seg;
    const named = typeof key === "string" && pairs.has(key) ? `${key}=${pairs.get(key)}` : undefined;
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      named ? `invalid value in CNI_ARGS pair ${JSON.stringify(named)}` : "invalid CNI_ARGS",
      formatIssues(result.issues, input),
    );
  }
  return result.value;
}
