/**
 * Which attachment a rule belongs to, written into the rule's comment:
 * `tscni:<attachment>:<rule> <containerId>/<ifName>`. `<attachment>` hashes the
 * container ID and interface name (IDs can be longer than a comment allows),
 * `<rule>` hashes the rule's own text, so CHECK can tell a rule deleted by hand
 * from one that is there; the readable tail is for operators and is cut to fit.
 */
import { createHash } from "node:crypto";

export interface AttachmentRef {
  readonly containerId: string;
  readonly ifName: string;
}

const PREFIX = "tscni:";
/** nftables keeps at most 128 bytes of a comment. */
const MAX_COMMENT = 127;

function hash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

export function attachmentHash(a: AttachmentRef): string {
  return hash(`${a.containerId}\0${a.ifName}`, 16);
}

export function ruleComment(a: AttachmentRef, ruleText: string): string {
  const head = `${PREFIX}${attachmentHash(a)}:${hash(ruleText, 8)} `;
  const who = `${a.containerId}/${a.ifName}`;
  return head + who.slice(0, MAX_COMMENT - head.length);
}

export interface ParsedComment {
  readonly attachment: string;
  readonly rule: string;
}

export function parseComment(comment: string | undefined): ParsedComment | undefined {
  const m = comment === undefined ? null : /^tscni:([0-9a-f]{16}):([0-9a-f]{8}) /.exec(comment);
  return m ? { attachment: m[1]!, rule: m[2]! } : undefined;
}

export function ruleHash(ruleText: string): string {
  return hash(ruleText, 8);
}
