/**
 * Reading versions out of JSON: the config's version (plugin side), the
 * VERSION answer a plugin prints, and the same answer read back by a runtime.
 */
import { CniError, ErrorCode } from "@tscni/types";
import { formatIssues } from "@tscni/types/internal";
import { versionInfoSchema } from "@tscni/types/schemas";
import type { VersionInfo } from "@tscni/types";
import type { PluginInfo } from "./version.js";
import { newestSupported } from "./version.js";

function text(input: string | Uint8Array): string {
  return typeof input === "string" ? input : Buffer.from(input).toString("utf8");
}

/**
 * The `cniVersion` of a config (Go's ConfigDecoder): missing, null or empty
 * is "0.1.0"; the string is returned as written, unparsed. Invalid JSON, a
 * non-object or a non-string version is CniError 6.
 */
export function decodeConfigVersion(stdin: string | Uint8Array): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text(stdin));
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `decoding version from network config: ${(e as Error).message}`);
  }
  return configVersionOf(doc);
}

/** `decodeConfigVersion` for a document already parsed, so a caller that needs the whole config parses it once. */
export function configVersionOf(doc: unknown): string {
  if (doc === null) return "0.1.0";
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      "decoding version from network config: the network config must be a JSON object",
      `got ${Array.isArray(doc) ? "an array" : typeof doc}`,
    );
  }
  const v = (doc as { cniVersion?: unknown }).cniVersion;
  if (v === undefined || v === null || v === "") return "0.1.0";
  if (typeof v !== "string") {
    throw new CniError(
      ErrorCode.DecodingFailure,
      "decoding version from network config: cniVersion must be a string",
      `got ${typeof v} ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * The VERSION document. `cniVersion` echoes the version in `stdin` when it
 * holds one the plugin supports (the spec), else the newest supported
 * version; stdin is optional and never an error.
 */
export function versionAnswer(info: PluginInfo, stdin?: string | Uint8Array): VersionInfo {
  let cniVersion = newestSupported(info);
  if (stdin !== undefined) {
    try {
      const asked = (JSON.parse(text(stdin)) as { cniVersion?: unknown } | null)?.cniVersion;
      if (typeof asked === "string" && info.supportedVersions.includes(asked)) cniVersion = asked;
    } catch {
      // VERSION must answer whatever stdin holds.
    }
  }
  return { cniVersion, supportedVersions: [...info.supportedVersions] };
}

/**
 * A runtime reading a plugin's VERSION answer (Go's PluginDecoder). A
 * pre-0.3 plugin answering `{"cniVersion":"0.2.0"}` without a list supports
 * 0.1.0 and 0.2.0. Anything unreadable is CniError 6 `decoding version info: ...`.
 */
export function decodePluginInfo(stdout: string | Uint8Array): VersionInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text(stdout));
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `decoding version info: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new CniError(ErrorCode.DecodingFailure, "decoding version info: expected a JSON object", `got ${JSON.stringify(doc)}`);
  }
  const obj = doc as Record<string, unknown>;
  if (obj.cniVersion === undefined || obj.cniVersion === "") {
    throw new CniError(ErrorCode.DecodingFailure, "decoding version info: missing field cniVersion");
  }
  const list = obj.supportedVersions;
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    if (obj.cniVersion === "0.2.0") return { cniVersion: "0.2.0", supportedVersions: ["0.1.0", "0.2.0"] };
    throw new CniError(ErrorCode.DecodingFailure, "decoding version info: missing field supportedVersions");
  }
  const parsed = versionInfoSchema().safeParse(obj, { reportInput: true });
  if (!parsed.success) {
    throw new CniError(ErrorCode.DecodingFailure, "decoding version info", formatIssues(parsed.error.issues, obj));
  }
  return { cniVersion: parsed.data.cniVersion, supportedVersions: [...parsed.data.supportedVersions] };
}
