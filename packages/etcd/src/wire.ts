/**
 * etcd's JSON gateway speaks the v3 gRPC messages as JSON: keys and values in
 * base64, 64-bit numbers as decimal strings, and fields at their zero value
 * left out (a failed transaction has no `succeeded`, an empty range no `kvs`).
 * This module turns those documents into typed values and refuses anything
 * else: the answer of a server is a boundary like stdin.
 */
import { CniError, ErrorCode } from "@tscni/types";

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: bigint;
  readonly modRevision: bigint;
  readonly version: bigint;
}

export interface RangeResult {
  readonly kvs: KeyValue[];
  /** The store revision the answer was read at. */
  readonly revision: bigint;
  readonly count: number;
  readonly more: boolean;
}

export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: bigint;
  /** One entry per operation of the branch that ran; a range answer carries kvs, a put or delete none. */
  readonly responses: { kvs?: KeyValue[]; deleted?: number }[];
}

export interface StatusResult {
  readonly version: string;
  /** The member's view of the leader; "0" when it has none. */
  readonly leader: string;
  readonly memberId: string;
}

export function encodeKey(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The exclusive end of a prefix scan: the prefix with its last byte incremented (etcd's rule). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]! += 1;
      return end.toString("base64");
    }
  }
  // All 0xff: scan to the end of the key space.
  return Buffer.from([0]).toString("base64");
}

function malformed(what: string, got: unknown): CniError {
  const shown = JSON.stringify(got)?.slice(0, 200) ?? String(got);
  return new CniError(ErrorCode.TryAgainLater, `etcd answered with a malformed ${what}`, shown);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeText(v: unknown, what: string): string {
  if (v === undefined) return "";
  if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw malformed(what, v);
  return Buffer.from(v, "base64").toString("utf8");
}

function decodeInt(v: unknown, what: string): bigint {
  if (v === undefined) return 0n;
  if ((typeof v === "string" && /^-?\d{1,20}$/.test(v)) || (typeof v === "number" && Number.isSafeInteger(v))) return BigInt(v);
  throw malformed(what, v);
}

function headerRevision(doc: Record<string, unknown>): bigint {
  const header = doc.header;
  if (header !== undefined && !isRecord(header)) throw malformed("header", header);
  return decodeInt(header?.revision, "header.revision");
}

function decodeKvs(v: unknown): KeyValue[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw malformed("kvs list", v);
  return v.map((kv) => {
    if (!isRecord(kv)) throw malformed("key-value", kv);
    return {
      key: decodeText(kv.key, "key"),
      value: decodeText(kv.value, "value"),
      createRevision: decodeInt(kv.create_revision, "create_revision"),
      modRevision: decodeInt(kv.mod_revision, "mod_revision"),
      version: decodeInt(kv.version, "version"),
    };
  });
}

export function decodeRange(doc: unknown): RangeResult {
  if (!isRecord(doc)) throw malformed("range answer", doc);
  return {
    kvs: decodeKvs(doc.kvs),
    revision: headerRevision(doc),
    count: Number(decodeInt(doc.count, "count")),
    more: doc.more === true,
  };
}

export function decodeTxn(doc: unknown): TxnResult {
  if (!isRecord(doc)) throw malformed("transaction answer", doc);
  if (doc.succeeded !== undefined && typeof doc.succeeded !== "boolean") throw malformed("succeeded flag", doc.succeeded);
  const list = doc.responses ?? [];
  if (!Array.isArray(list)) throw malformed("responses list", list);
  const responses = list.map((r) => {
    if (!isRecord(r)) throw malformed("operation answer", r);
    if (isRecord(r.response_range)) return { kvs: decodeKvs(r.response_range.kvs) };
    if (isRecord(r.response_delete_range)) return { deleted: Number(decodeInt(r.response_delete_range.deleted, "deleted")) };
    return {};
  });
  return { succeeded: doc.succeeded === true, revision: headerRevision(doc), responses };
}

export function decodeStatus(doc: unknown): StatusResult {
  if (!isRecord(doc) || typeof doc.version !== "string") throw malformed("status answer", doc);
  const header = isRecord(doc.header) ? doc.header : {};
  return {
    version: doc.version,
    leader: String(decodeInt(doc.leader, "leader")),
    memberId: String(decodeInt(header.member_id, "member_id")),
  };
}

/** The error document the gateway sends with a non-2xx status: `{ error, code, message }` (code is a gRPC status). */
export function decodeGatewayError(doc: unknown): { message: string; grpcCode: number | undefined } {
  if (!isRecord(doc)) return { message: "no error document", grpcCode: undefined };
  const message = typeof doc.message === "string" ? doc.message : typeof doc.error === "string" ? doc.error : "unknown error";
  return { message, grpcCode: typeof doc.code === "number" ? doc.code : undefined };
}
