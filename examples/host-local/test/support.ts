/** Shared by host-local's tests: exec our bundle or Go's like a runtime, and read the store. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect } from "vitest";
import { execPluginBinary } from "@tscni/netns/testkit";
import type { RunOutput } from "@tscni/netns/testkit";
import { pluginPath } from "../../../test/support/plugin-bin.js";

export const OURS = pluginPath("host-local");
export const GO = "/usr/lib/cni/host-local";

/**
 * A maker of temporary data directories for one test file; every directory it
 * made is removed after the file's tests, passed or failed. Call at top level.
 */
export function tempDataDirs(): (tag: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (tag) => {
    const d = mkdtempSync(join(tmpdir(), `tscni-hl-${tag}-`));
    made.push(d);
    return d;
  };
}

export interface Call {
  command: "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";
  config: object;
  containerId?: string;
  ifName?: string;
  args?: string;
  binary?: string;
}

export function run(call: Call): Promise<RunOutput> {
  const { binary = OURS, ...rest } = call;
  return execPluginBinary({ binary, netns: "/var/run/netns/tscni-hl-unused", path: ["/usr/lib/cni"], ...rest });
}

export interface NetworkOptions {
  cniVersion?: string;
  name?: string;
  dataDir: string;
  ipam?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function network(o: NetworkOptions): Record<string, unknown> {
  return {
    cniVersion: o.cniVersion ?? "1.1.0",
    name: o.name ?? "hlnet",
    type: "host-local",
    ipam: { type: "host-local", dataDir: o.dataDir, ranges: [[{ subnet: "169.254.30.0/24" }]], ...o.ipam },
    ...o.extra,
  };
}

/** The reservation files of a network: address -> raw content. */
export function reservations(dataDir: string, name: string): Record<string, string> {
  const dir = join(dataDir, name);
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (f === "lock" || f.startsWith("last_reserved_ip.")) continue;
    out[f] = readFileSync(join(dir, f), "utf8");
  }
  return out;
}

export function claims(dataDir: string): string[] {
  const dir = join(dataDir, ".tscni-claims");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The addresses (without prefix) of a 0.3.0+ result. */
export function addressesOf(json: unknown): string[] {
  const ips = (json as { ips?: { address: string }[] }).ips ?? [];
  return ips.map((ip) => ip.address.split("/")[0] as string);
}

/** What can be planted where host-local expects one of its own regular files. */
export const PLANT_KINDS = ["dangling link", "link to a file", "link to an empty file", "link to a directory", "directory", "fifo"] as const;
export type PlantKind = (typeof PLANT_KINDS)[number];

/** Files outside the data directory that a plant points at; none may change. */
export interface Victims {
  file: string;
  empty: string;
  dir: string;
  missing: string;
}

/** Creates the victims in `outside` (made here): a file with content, an empty one, an empty directory, and a name that must stay absent. */
export function makeVictims(outside: string): Victims {
  mkdirSync(outside, { recursive: true });
  const victims = { file: join(outside, "precious"), empty: join(outside, "empty"), dir: join(outside, "dir"), missing: join(outside, "gone") };
  writeFileSync(victims.file, "precious\n");
  writeFileSync(victims.empty, "");
  mkdirSync(victims.dir);
  return victims;
}

/** Plants `kind` at `path` (parents made); a link points at the matching victim. */
export function plant(path: string, kind: PlantKind, victims: Victims): void {
  mkdirSync(dirname(path), { recursive: true });
  const target = { "dangling link": victims.missing, "link to a file": victims.file, "link to an empty file": victims.empty, "link to a directory": victims.dir }[
    kind as string
  ];
  if (target) symlinkSync(target, path);
  else if (kind === "directory") mkdirSync(path);
  else execFileSync("mkfifo", [path]);
}

/** Asserts every victim is as makeVictims left it. */
export function expectVictimsUntouched(victims: Victims): void {
  expect(readFileSync(victims.file, "utf8")).toBe("precious\n");
  expect(readFileSync(victims.empty, "utf8")).toBe("");
  expect(readdirSync(victims.dir)).toEqual([]);
  expect(existsSync(victims.missing)).toBe(false);
}
