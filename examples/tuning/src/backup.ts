/**
 * What ADD changed, remembered for DEL: one file per attachment in the data
 * directory, `<containerId>-<ifName>.json`, holding the link's values before
 * the first ADD. Written through @tscni/ipam/files, so a link, directory or
 * FIFO planted under the name is never followed, opened or replaced.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { assertDirectory, createFile, readEntry, removeFile } from "@tscni/ipam/files";
import { CniError, ErrorCode } from "@tscni/types";
import type { LinkSettings, TuningArgs } from "./config.js";

function fileName(args: TuningArgs): string {
  return `${args.containerId}-${args.ifName}.json`;
}

/** Keeps the values from before the first ADD: a retried ADD must not record its own changes as the originals. */
export function saveOriginals(args: TuningArgs, dataDir: string, originals: LinkSettings): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  assertDirectory(dataDir);
  createFile(dataDir, fileName(args), JSON.stringify(originals));
}

export function readOriginals(args: TuningArgs, dataDir: string): LinkSettings | undefined {
  const path = join(dataDir, fileName(args));
  const entry = readEntry(path);
  if (entry.kind === "missing") return undefined;
  // Something planted under the name (a link, a directory, a FIFO) is neither followed nor trusted: nothing to restore.
  if (entry.kind === "other") return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(entry.content) as Record<string, unknown>;
  } catch {
    throw new CniError(ErrorCode.DecodingFailure, `${path} is not JSON`, entry.content.slice(0, 100));
  }
  const out: LinkSettings = {};
  if (typeof doc.mtu === "number") out.mtu = doc.mtu;
  if (typeof doc.mac === "string") out.mac = doc.mac;
  if (typeof doc.promisc === "boolean") out.promisc = doc.promisc;
  if (typeof doc.allmulti === "boolean") out.allmulti = doc.allmulti;
  return out;
}

export function forgetOriginals(args: TuningArgs, dataDir: string): void {
  removeFile(join(dataDir, fileName(args)));
}
