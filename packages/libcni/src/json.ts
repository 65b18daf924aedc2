import { CniError, ErrorCode } from "@tscni/types";

/**
 * How deeply a config may nest objects and arrays. Files in a config
 * directory are not trusted: re-serialising (sortKeys below, and V8's own
 * JSON.stringify, which overflows the stack at a few thousand levels) recurses
 * once per level, so a document nested 5,000 levels deep would end in
 * `Maximum call stack size exceeded`. JSON.parse itself is iterative, so the
 * depth is measured on the parsed value, iteratively, before anything
 * recurses. No real config comes near this; Go's decoder stops at 10,000.
 */
export const MAX_JSON_DEPTH = 512;

/** True when no object or array in `value` sits deeper than `limit` levels (the outermost is level 1). */
export function jsonDepthWithin(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[node: object, depth: number]> = [];
  if (value !== null && typeof value === "object") stack.push([value, 1]);
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > limit) return false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push([child as object, depth + 1]);
    }
  }
  return true;
}

/** CniError 6 unless `value` is within MAX_JSON_DEPTH; `what` names the document. */
export function checkJsonDepth(value: unknown, what: string): void {
  if (!jsonDepthWithin(value)) {
    throw new CniError(ErrorCode.DecodingFailure, `error parsing ${what}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/**
 * JSON the way Go's libcni writes it: objects re-serialised with their keys
 * sorted at every level (Go marshals maps in key order), so the bytes a
 * plugin receives and the bytes in the cache do not depend on file order.
 * Refuses (CniError 6) a value nested deeper than MAX_JSON_DEPTH.
 */
export function sortedJson(value: unknown): string {
  checkJsonDepth(value, "JSON to serialise");
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
