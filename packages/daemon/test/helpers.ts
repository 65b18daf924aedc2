import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { build } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const DIST_BIN = join(ROOT, "dist/bin");
export const SHIM = join(DIST_BIN, "tscni-shim");

/** Bundles a test entry (the daemon, a fixture plugin) to one CommonJS file. */
export async function bundle(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    conditions: ["source"],
    external: ["esbuild"],
    logLevel: "error",
  });
  return outfile;
}

export interface RunningDaemon {
  proc: ChildProcess;
  log: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

/** Starts the daemon (in network namespace `netns` when given: plugins change the namespace they run in). */
export async function startDaemon(daemonJs: string, args: string[], netns?: string): Promise<RunningDaemon> {
  const socket = args[args.indexOf("--socket") + 1]!;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const argv = [process.execPath, daemonJs, "--shim", SHIM, ...args];
  // ip netns exec execs the daemon in place: the pid is the daemon's, for kill -9.
  const proc = spawn(netns ? "ip" : argv[0]!, netns ? ["netns", "exec", netns, ...argv] : argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env });
  let log = "";
  proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const deadline = Date.now() + 15_000;
  // Its own "listening" line first: after a kill -9, the old daemon's accept helper may still answer on the old
  // socket file for a moment, until the new daemon replaces it.
  while (!(log.includes("listening on") && existsSync(socket) && (await canConnect(socket)))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    proc,
    log: () => log,
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

export function runExe(file: string, env: Record<string, string>, stdin = "", options: { uid?: number } = {}): Run {
  const r = options.uid === undefined
    ? spawnSync(file, [], { env, input: stdin, encoding: "utf8", timeout: 70_000 })
    : spawnSync("setpriv", [`--reuid=${options.uid}`, `--regid=${options.uid}`, "--clear-groups", file], { env, input: stdin, encoding: "utf8", timeout: 70_000 });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}
