/**
 * The shim's settings region: 4096 bytes of the binary that start with a
 * marker, followed by `key=value` lines (tscni-shim reads them at start).
 * Written by the daemon-mode installer (socket, versions, DEL spool) and by
 * `tscni install --form bundle` (launch: the shim as a plugin's launcher);
 * read back to recognise an installed shim. Light on purpose: `tscni install`
 * imports this, never the daemon.
 */
import { resolve } from "node:path";

export const SHIM_MARKER = "@@TSCNI-SHIM-CONFIG-V1@@";
export const SHIM_CONFIG_BYTES = 4096;
/** The shim as `npm run build` writes it, next to the tscni CLI in dist/bin. */
export const SHIM_FILE_NAME = "tscni-shim";

export type ShimConfig = Readonly<Record<string, string>>;

function markerAt(bytes: Buffer): number {
  return bytes.indexOf(SHIM_MARKER, 0, "latin1");
}

/** The shim's bytes with `config` written into its settings region (every other byte as built). */
export function writeShimConfig(shim: Buffer, config: ShimConfig): Buffer {
  const at = markerAt(shim);
  if (at < 0 || shim.indexOf(SHIM_MARKER, at + 1, "latin1") >= 0) {
    throw new Error(`the shim binary has ${at < 0 ? "no" : "more than one"} settings region (marker ${SHIM_MARKER}): rebuild it with npm run build`);
  }
  const lines = Object.entries(config).map(([k, v]) => `${k}=${v}`);
  for (const l of lines) if (/[\n\0]/.test(l)) throw new Error(`shim setting ${JSON.stringify(l)} holds a newline or NUL`);
  const text = Buffer.from(`${SHIM_MARKER}\0${lines.map((l) => `${l}\n`).join("")}`, "utf8");
  if (text.length >= SHIM_CONFIG_BYTES) throw new Error(`the shim settings take ${text.length} bytes, more than the ${SHIM_CONFIG_BYTES} reserved`);
  const out = Buffer.from(shim);
  out.fill(0, at, at + SHIM_CONFIG_BYTES);
  text.copy(out, at);
  return out;
}

/** The settings of a shim file's bytes; undefined when they are not a tscni shim. */
export function readShimConfig(bytes: Buffer): ShimConfig | undefined {
  const at = markerAt(bytes);
  if (at < 0) return undefined;
  const region = bytes.subarray(at + SHIM_MARKER.length + 1, at + SHIM_CONFIG_BYTES).toString("utf8");
  const end = region.indexOf("\0");
  const config: Record<string, string> = {};
  for (const line of (end < 0 ? region : region.slice(0, end)).split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) config[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return config;
}

/**
 * The shim as a launcher: exec'd under a plugin's name, it execs `script` (an
 * absolute path) with the same arguments and environment.
 */
export function launcherFor(shim: Buffer, script: string): Buffer {
  if (script !== resolve(script)) throw new Error(`launcher target ${JSON.stringify(script)} is not an absolute, normalised path`);
  return writeShimConfig(shim, { launch: script });
}
