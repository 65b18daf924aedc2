import { CniError, ErrorCode, parseResult, type AnyResult } from "@tscni/types";
import { decodeConfigVersion } from "@tscni/version";
import { execPlugin, quote, type ExecPluginOptions } from "./exec.js";

/**
 * Runs a plugin that must print a result (ADD) and parses it for the
 * config's version. A result without `cniVersion` is taken to be in the
 * config's version (project decision, docs/spec-notes.md §8); any other version the
 * result names is honoured, as Go does.
 */
export async function execPluginWithResult(opts: ExecPluginOptions): Promise<AnyResult> {
  const configVersion = decodeConfigVersion(opts.stdin);
  const { stdout } = await execPlugin(opts);
  return parsePluginResult(opts.pluginPath, stdout, configVersion);
}

/** Parses a successful plugin's stdout as a result; every failure quotes the bytes. */
export function parsePluginResult(pluginPath: string, stdout: Buffer | string, configVersion: string): AnyResult {
  const text = typeof stdout === "string" ? stdout : stdout.toString("utf8");
  if (text.trim() === "") {
    throw new CniError(ErrorCode.DecodingFailure, `plugin ${pluginPath} succeeded but printed no result on stdout`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `plugin ${pluginPath} printed a result that is not JSON: ${(e as Error).message}`,
      `stdout: ${quote(text)}`,
    );
  }
  // Go decodes `null` into an empty result.
  if (json === null) json = {};
  if (typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, `plugin ${pluginPath} printed a result that is not a JSON object`, `stdout: ${quote(text)}`);
  }
  const obj = json as Record<string, unknown>;
  const withVersion = obj.cniVersion === undefined || obj.cniVersion === "" ? { ...obj, cniVersion: configVersion } : obj;
  try {
    return parseResult(withVersion, { defaultVersion: configVersion });
  } catch (e) {
    const inner = e instanceof CniError ? e : new CniError(ErrorCode.DecodingFailure, String(e));
    throw new CniError(
      inner.code,
      `plugin ${pluginPath} printed an invalid result: ${inner.msg}`,
      [inner.details, `stdout: ${quote(text)}`].filter(Boolean).join("\n"),
      { cause: e },
    );
  }
}
