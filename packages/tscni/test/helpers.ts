import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readShimConfig } from "@tscni/daemon/shim-config";

export const repo = resolve(import.meta.dirname, "../../..");
export const distBin = join(repo, "dist/bin");
export const TSCNI = join(distBin, "tscni");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a node's init container would (no NODE_EXTRA_CA_CERTS: it slows every start). */
export function tscni(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(TSCNI, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

export function startTscni(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(TSCNI, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  return { child, output: () => out };
}

export interface Dirs {
  root: string;
  bin: string;
  conf: string;
  ipam: string;
  remove(): void;
}

/** A node's directories, in a temp dir: never /opt/cni or /etc/cni. */
export function nodeDirs(prefix = "tscni-node-"): Dirs {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, bin: join(root, "opt-cni-bin"), conf: join(root, "etc-cni-net.d"), ipam: join(root, "ipam"), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function bridgeConflist(ipamDir: string, opts: { bridge?: string; subnet?: string; cniVersion?: string } = {}): string {
  return `${JSON.stringify({
    cniVersion: opts.cniVersion ?? "1.1.0",
    name: "tscni-node",
    plugins: [
      {
        type: "bridge",
        bridge: opts.bridge ?? "tnode0",
        isGateway: true,
        ipam: { type: "host-local", dataDir: ipamDir, ranges: [[{ subnet: opts.subnet ?? "169.254.81.0/24" }]] },
      },
      { type: "loopback" },
    ],
  })}\n`;
}

/** A copy of the built bundles of `plugins` (with their code caches), which a test may then break. */
export function copyBuild(into: string, plugins: readonly string[]): string {
  mkdirSync(into, { recursive: true });
  for (const p of plugins) {
    copyFileSync(join(distBin, p), join(into, p));
    if (existsSync(join(distBin, `${p}.v8cache`))) copyFileSync(join(distBin, `${p}.v8cache`), join(into, `${p}.v8cache`));
  }
  return into;
}

/** The script the bundle form's launcher under `binDir/plugin` execs (its `launch=` setting); undefined for anything else. */
export function launchedScript(binDir: string, plugin: string): string | undefined {
  try {
    return readShimConfig(readFileSync(join(binDir, plugin)))?.launch;
  } catch {
    return undefined;
  }
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}
