/**
 * Drives plugins the way an operator would: a conflist in a NETCONFPATH
 * directory, cnitool run inside a throwaway "host" namespace (so nothing
 * touches the machine's own), a container namespace, and a private result
 * cache and IPAM data directory, all removed by `cleanup()`.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findTool } from "../exec.js";
import { createTestNetns, removeAllTestNetns } from "./namespaces.js";
import type { TestNetns } from "./namespaces.js";

const run = promisify(execFile);

/** Debian's Go reference plugins (containernetworking-plugins). */
export const GO_PLUGIN_DIR = "/usr/lib/cni";

export interface WorkspaceOptions {
  /** The directory holding the plugins under test: `pluginDir({ x: "ours" })` links `<bin>/x`. */
  bin: string;
  /** The cnitool to run (tscni's, which takes `--cache-dir`); default `<bin>/cnitool`. */
  cnitool?: string;
  /** Where `pluginDir({ x: "go" })` takes plugins from; default GO_PLUGIN_DIR. */
  goBin?: string;
}

export interface Workspace {
  dir: string;
  netconf: string;
  cache: string;
  /** A data directory for IPAM in these tests (host-local's `ipam.dataDir`). */
  ipamData: string;
  host: TestNetns;
  ctr: TestNetns;
  /** The cnitool executable `cnitool()` runs. */
  cnitoolPath: string;
  /** A CNI_PATH directory holding exactly the named plugins, each taken from ours or Go's. */
  pluginDir(choice: Record<string, "ours" | "go">): string;
  /** Makes `conflist` the only network in NETCONFPATH. */
  writeConflist(name: string, conflist: object): void;
  cleanup(): Promise<void>;
}

export async function workspace(prefix: string, options: WorkspaceOptions): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), `tscni-${prefix}-`));
  const netconf = join(dir, "net.d");
  mkdirSync(netconf);
  const host = await createTestNetns(`${prefix}h`);
  const ctr = await createTestNetns(`${prefix}c`);
  const goBin = options.goBin ?? GO_PLUGIN_DIR;
  let n = 0;
  return {
    dir,
    netconf,
    cache: join(dir, "cache"),
    ipamData: join(dir, "ipam"),
    host,
    ctr,
    cnitoolPath: options.cnitool ?? join(options.bin, "cnitool"),
    pluginDir(choice) {
      const d = join(dir, `plugins-${++n}`);
      mkdirSync(d);
      for (const [name, from] of Object.entries(choice)) symlinkSync(join(from === "ours" ? options.bin : goBin, name), join(d, name));
      return d;
    },
    writeConflist(name, conflist) {
      rmSync(netconf, { recursive: true, force: true });
      mkdirSync(netconf);
      writeFileSync(join(netconf, `10-${name}.conflist`), JSON.stringify(conflist));
    },
    async cleanup() {
      await ctr.remove();
      await host.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The workspaces of one test file: `create()` makes one; `removeAll()`, an
 * afterEach, removes every one made so far and any test namespace left over.
 */
export function workspacePool(prefix: string, options: WorkspaceOptions): { create(): Promise<Workspace>; removeAll(): Promise<void> } {
  const made: Workspace[] = [];
  return {
    async create() {
      const ws = await workspace(prefix, options);
      made.push(ws);
      return ws;
    },
    async removeAll() {
      for (const ws of made.splice(0)) await ws.cleanup();
      await removeAllTestNetns();
    },
  };
}

/** The addresses host-local holds for a network in the workspace's IPAM data directory (one file each). */
export function leases(ws: Workspace, network: string): string[] {
  const dir = join(ws.ipamData, network);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip")) : [];
}

export interface ToolRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

/** `cnitool <verb> <net> <ctr>` inside the host namespace, environment as clean as a runtime's. */
export async function cnitool(ws: Workspace, verb: string, net: string, cniPath: string, extraEnv: Record<string, string> = {}): Promise<ToolRun> {
  const env = { PATH: "/usr/bin:/usr/sbin:/bin:/sbin", NETCONFPATH: ws.netconf, CNI_PATH: cniPath, ...extraEnv };
  try {
    const r = await run(findTool("nsenter"), [`--net=${ws.host.path}`, "--", ws.cnitoolPath, "--cache-dir", ws.cache, verb, net, ws.ctr.path], { env, encoding: "utf8" });
    return { exitCode: 0, stdout: r.stdout, stderr: r.stderr, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "", json: undefined };
  }
}

/** `ip netns exec <ns> ping -c1 -W1 <address>`: true when a reply came back. */
export async function ping(ns: TestNetns, address: string): Promise<boolean> {
  try {
    await run(findTool("ip"), ["netns", "exec", ns.name, "ping", address.includes(":") ? "-6" : "-4", "-c1", "-W1", address]);
    return true;
  } catch {
    return false;
  }
}

/** The config versions a plugin with prevResult and CHECK is exercised at. */
export const PLUGIN_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export const supportsCheck = (v: string): boolean => v === "0.4.0" || v.startsWith("1.");
/** Debian's Go plugins (containernetworking-plugins 1.1.1) speak up to 1.0.0. */
export const goSpeaks = (v: string): boolean => v !== "1.1.0";
