/**
 * Runs a CLI whose stdout and/or stderr is closed under it, the two ways it
 * happens: a pipe whose reader has gone (`cnitool add ... | (exec 0<&-; true)`),
 * and a stream the parent closes before the child writes (deterministic).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ClosedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** What reached the stream left open ("" for a closed one). */
  stdout: string;
  stderr: string;
}

/** Without NODE_EXTRA_CA_CERTS (it slows every node start) unless the caller gives an environment. */
function defaultEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** The parent closes its end of `closed` right after spawning, so the child's first write there fails (EPIPE). */
export function runWithClosed(closed: "stdout" | "stderr" | "both", cmd: string, args: string[], env: NodeJS.ProcessEnv = defaultEnv()): Promise<ClosedRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    let stdout = "";
    let stderr = "";
    if (closed === "stdout" || closed === "both") child.stdout.destroy();
    else child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    if (closed === "stderr" || closed === "both") child.stderr.destroy();
    else child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status, signal) => resolvePromise({ status, signal, stdout, stderr }));
  });
}

/** `cmd args | (exec 0<&-; true)` in a shell, as the issue reproduced it: stdout a real pipe whose reader is gone. */
export function runIntoGonePipe(cmd: string, args: string[], env: NodeJS.ProcessEnv = defaultEnv()): ClosedRun {
  const dir = mkdtempSync(join(tmpdir(), "tscni-gone-pipe-"));
  try {
    const script = `{ "$@" 2>"${dir}/err"; echo $? >"${dir}/status"; } | (exec 0<&-; true)`;
    const r = spawnSync("/bin/sh", ["-c", script, "sh", cmd, ...args], { env, encoding: "utf8", timeout: 120_000 });
    if (r.error) throw r.error;
    return { status: Number(readFileSync(join(dir, "status"), "utf8")), signal: null, stdout: "", stderr: readFileSync(join(dir, "err"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
