/**
 * Drives reference plugins the way an operator would: a conflist in a
 * NETCONFPATH directory, cnitool run inside a throwaway "host" namespace (so
 * nothing touches the machine's own), a container namespace, and a private
 * result cache and IPAM store. Used by the ptp, bridge and interop suites.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { createTestNetns, removeAllTestNetns } from "@tscni/netns/testkit";
import type { TestNetns } from "@tscni/netns/testkit";

const run = promisify(execFile);
export const repo = resolve(import.meta.dirname, "../..");
export const distBin = join(repo, "dist/bin");
export const goPlugins = "/usr/lib/cni";

export interface Workspace {
  dir: string;
  netconf: string;
  cache: string;
  /** Where IPAM stores leases in these tests. */
  ipamData: string;
  host: TestNetns;
  ctr: TestNetns;
  /** A CNI_PATH directory holding exactly the named plugins, each taken from ours or Go's. */
  pluginDir(choice: Record<string, "ours" | "go">): string;
  writeConflist(name: string, conflist: object): void;
  cleanup(): Promise<void>;
}

export async function workspace(prefix: string): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), `tscni-${prefix}-`));
  const netconf = join(dir, "net.d");
  mkdirSync(netconf);
  const host = await createTestNetns(`${prefix}h`);
  const ctr = await createTestNetns(`${prefix}c`);
  let n = 0;
  return {
    dir,
    netconf,
    cache: join(dir, "cache"),
    ipamData: join(dir, "ipam"),
    host,
    ctr,
    pluginDir(choice) {
      const d = join(dir, `plugins-${++n}`);
      mkdirSync(d);
      for (const [name, from] of Object.entries(choice)) symlinkSync(join(from === "ours" ? distBin : goPlugins, name), join(d, name));
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
export function workspacePool(prefix: string): { create(): Promise<Workspace>; removeAll(): Promise<void> } {
  const made: Workspace[] = [];
  return {
    async create() {
      const ws = await workspace(prefix);
      made.push(ws);
      return ws;
    },
    async removeAll() {
      for (const ws of made.splice(0)) await ws.cleanup();
      await removeAllTestNetns();
    },
  };
}

/** The addresses host-local holds for a network in the workspace's IPAM store (one file each). */
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
    const r = await run("nsenter", [`--net=${ws.host.path}`, "--", join(distBin, "cnitool"), "--cache-dir", ws.cache, verb, net, ws.ctr.path], { env, encoding: "utf8" });
    return { exitCode: 0, stdout: r.stdout, stderr: r.stderr, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "", json: undefined };
  }
}

/** `ip netns exec <ns> ping -c1 -W1 <address>`: true when a reply came back. */
export async function ping(ns: TestNetns, address: string): Promise<boolean> {
  try {
    await run("ip", ["netns", "exec", ns.name, "ping", address.includes(":") ? "-6" : "-4", "-c1", "-W1", address]);
    return true;
  } catch {
    return false;
  }
}

export const PLUGIN_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export const supportsCheck = (v: string) => v === "0.4.0" || v.startsWith("1.");
/** Debian's Go plugins (containernetworking-plugins 1.1.1) speak up to 1.0.0. */
export const goSpeaks = (v: string) => v !== "1.1.0";
