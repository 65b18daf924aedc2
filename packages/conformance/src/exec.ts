import { spawn } from "node:child_process";

/**
 * How the plugin's stdin is set up. A runtime always pipes the config, but the
 * VERSION checks also probe what happens with no stdin at all.
 */
export type StdinMode =
  | { kind: "text"; text: string }
  /** stdin is /dev/null */
  | { kind: "none" }
  /** a pipe that is closed before anything is written */
  | { kind: "empty" }
  /** file descriptor 0 is not open at all */
  | { kind: "closed" };

export interface Invocation {
  binary: string;
  /** The complete environment of the plugin: nothing is inherited. */
  env: Record<string, string>;
  stdin: StdinMode;
  /** argv prefix that runs the plugin somewhere else, e.g. ["ip", "netns", "exec", "h"]. */
  wrap: readonly string[];
  timeoutMs: number;
}

export interface Outcome {
  /** null when the process was killed by a signal (the timeout included). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The plugin could not be started at all (ENOENT, EACCES...). */
  spawnError?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const CLOSE_STDIN_AND_EXEC = 'exec "$@" 0<&-';

function argvOf(inv: Invocation): string[] {
  const plugin = inv.stdin.kind === "closed" ? ["/bin/sh", "-c", CLOSE_STDIN_AND_EXEC, "sh", inv.binary] : [inv.binary];
  return [...inv.wrap, ...plugin];
}

/**
 * Runs the plugin once as a runtime would: no argv, the given environment, the
 * config on stdin. It runs in its own process group so that, on timeout, the
 * plugin and anything it started are killed together and the pipes close.
 */
export function execInvocation(inv: Invocation): Promise<Outcome> {
  const started = performance.now();
  const [file, ...args] = argvOf(inv);
  return new Promise((resolveOutcome) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const child = spawn(file as string, args, {
      env: inv.env,
      stdio: [inv.stdin.kind === "none" ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    const finish = (o: Omit<Outcome, "stdout" | "stderr" | "durationMs" | "timedOut">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveOutcome({
        ...o,
        timedOut,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        durationMs: performance.now() - started,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, inv.timeoutMs);
    child.stdout?.on("data", (c: Buffer) => stdout.push(c));
    child.stderr?.on("data", (c: Buffer) => stderr.push(c));
    child.on("error", (e) => finish({ exitCode: null, signal: null, spawnError: e.message }));
    child.on("close", (code, signal) => finish({ exitCode: code, signal }));
    if (child.stdin) {
      // A plugin that exits without reading its stdin makes the write fail with EPIPE: not our error.
      child.stdin.on("error", () => {});
      if (inv.stdin.kind === "text") child.stdin.end(inv.stdin.text);
      else child.stdin.end();
    }
  });
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The exact command that repeats an invocation in a shell. */
export function reproCommand(inv: Invocation): string {
  const env = Object.entries(inv.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const argv = [...inv.wrap, inv.binary].map(shellQuote);
  const cmd = ["env", "-i", ...env, ...argv].join(" ");
  switch (inv.stdin.kind) {
    case "text":
      return `${cmd} <<'CNI_EOF'\n${inv.stdin.text}\nCNI_EOF`;
    case "none":
      return `${cmd} </dev/null`;
    case "empty":
      return `printf '' | ${cmd}`;
    case "closed":
      return `${cmd} 0<&-`;
  }
}
