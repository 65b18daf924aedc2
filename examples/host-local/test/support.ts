/** Shared by host-local's tests: exec our bundle or Go's like a runtime, and read the store. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { execPluginBinary } from "@tscni/netns/testkit";
import type { RunOutput } from "@tscni/netns/testkit";

export const OURS = resolve(import.meta.dirname, "../../../dist/bin/host-local");
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
