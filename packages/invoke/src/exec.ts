import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { CniError, ErrorCode } from "@tscni/types";
import { errorObjectSchema } from "@tscni/types/schemas";
import { trackWork } from "@tscni/types/work";
import { definedEnv, type Env } from "./env.js";
import { inProcessRun } from "./invocation-host.js";

export interface ExecPluginOptions {
  /** Absolute path of the plugin executable (see findInPath). */
  pluginPath: string;
  /** The network configuration, written to the plugin's stdin. */
  stdin: string | Uint8Array;
  /** The complete environment of the plugin (see buildPluginEnv). */
  env: Env;
  /** Cancels the call: the plugin is killed with SIGKILL. */
  signal?: AbortSignal;
  /** Kills the plugin after this many milliseconds. No timeout when absent, as Go libcni. */
  timeoutMs?: number;
  /** The plugin is killed when it writes more than this to stdout (default 16 MiB). */
  maxStdoutBytes?: number;
  /** Only this much of stderr is kept; the rest is dropped, not fatal (default 64 KiB). */
  maxStderrBytes?: number;
  /** Receives a successful plugin's stderr (its logs), when it wrote any. On failure stderr goes into the error instead. */
  onStderr?: (text: string) => void;
}

export interface ExecOutput {
  stdout: Buffer;
  stderr: string;
}

const DEFAULT_MAX_STDOUT = 16 * 1024 * 1024;
const DEFAULT_MAX_STDERR = 64 * 1024;
/** ETXTBSY means the binary is still open for writing (being installed): wait and retry, boundedly. */
const TEXT_BUSY_DELAYS_MS = [50, 100, 200, 400, 800];
/** How long output is still read after the plugin exited, while something it left behind holds the pipes. */
const EXIT_DRAIN_MS = 500;
/** How much of a plugin's output an error message quotes. */
const QUOTE_LIMIT = 2048;

/** Cuts text for an error message, saying how much was left out. */
export function quote(text: string, limit = QUOTE_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length - limit} more characters)`;
}

/**
 * Runs a plugin once: no argv, never a shell, config on stdin, stdout and
 * stderr captured. Resolves on exit status 0 with both outputs; anything else
 * rejects with a CniError:
 * - the plugin's own error object from stdout, its code kept, stderr appended to details;
 * - a plugin that died without one: its exit status or signal, and its stderr;
 * - a timeout or abort: the plugin is killed and the error says why;
 * - a binary that stays busy (ETXTBSY) through every retry: code 11, never an empty success.
 */
export function execPlugin(opts: ExecPluginOptions): Promise<ExecOutput> {
  // Registered with the running invocation: a handler that forgets to await it cannot answer before it ends.
  return trackWork(execUntracked(opts));
}

async function execUntracked(opts: ExecPluginOptions): Promise<ExecOutput> {
  // A host holding the plugin's code answers in process; its answer is judged exactly as an exec's.
  const inProcess = inProcessRun({ pluginPath: opts.pluginPath, env: opts.env, stdin: opts.stdin });
  if (inProcess) {
    const r = await inProcess;
    if (r.status !== 0) throw pluginFailure(opts.pluginPath, r.stdout, r.stderr, r.status, null);
    if (r.stderr && opts.onStderr) opts.onStderr(r.stderr);
    return { stdout: r.stdout, stderr: r.stderr };
  }
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await execOnce(opts);
    } catch (e) {
      if (!(e instanceof TextBusy)) throw e;
      const delay = TEXT_BUSY_DELAYS_MS[attempt];
      if (delay === undefined) {
        throw new CniError(
          ErrorCode.TryAgainLater,
          `cannot exec plugin ${opts.pluginPath}: text file busy (ETXTBSY)`,
          `still busy after ${attempt + 1} attempts over ${Date.now() - started} ms; the file is open for writing (being installed?)`,
        );
      }
      await sleep(delay, opts.signal, opts.pluginPath);
    }
  }
}

class TextBusy extends Error {}

function sleep(ms: number, signal: AbortSignal | undefined, pluginPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(pluginPath, signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(pluginPath, signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortError(pluginPath: string, signal: AbortSignal): CniError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "aborted");
  return new CniError(ErrorCode.Internal, `plugin ${pluginPath} was cancelled: ${reason}`, undefined, { cause: signal.reason });
}

function execOnce(opts: ExecPluginOptions): Promise<ExecOutput> {
  const { pluginPath, signal } = opts;
  const maxStdout = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
  const maxStderr = opts.maxStderrBytes ?? DEFAULT_MAX_STDERR;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(pluginPath, signal));

    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(pluginPath, [], { env: definedEnv(opts.env), stdio: ["pipe", "pipe", "pipe"], shell: false });
    } catch (e) {
      // ETXTBSY, ENOEXEC and friends are thrown synchronously by spawn; ENOENT/EACCES arrive as 'error'.
      const err = e as NodeJS.ErrnoException;
      return reject(err.code === "ETXTBSY" ? new TextBusy() : spawnFailure(pluginPath, err));
    }
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    let stderrDropped = 0;
    // Why the child was killed by us, if it was: decides the error message.
    let killedFor: CniError | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;

    // Set once the plugin itself has exited (its output may still be draining).
    let exited: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    const kill = (why: CniError, evenAfterExit = false) => {
      if (exited && !evenAfterExit) {
        // A timeout or abort after the plugin finished: its own outcome stands; stop waiting for leftovers.
        finish(exited.code, exited.sig);
        return;
      }
      killedFor ??= why;
      if (exited) finish(exited.code, exited.sig);
      else child.kill("SIGKILL");
    };
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(
            () => kill(new CniError(ErrorCode.Internal, `plugin ${pluginPath} timed out after ${opts.timeoutMs} ms and was killed`)),
            opts.timeoutMs,
          )
        : undefined;
    const onAbort = () => kill(abortError(pluginPath, signal!));
    signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        kill(new CniError(ErrorCode.IOFailure, `plugin ${pluginPath} wrote more than ${maxStdout} bytes to stdout and was killed`), true);
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const room = maxStderr - stderrBytes;
      if (room <= 0) {
        stderrDropped += chunk.length;
        return;
      }
      const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
      stderrDropped += chunk.length - kept.length;
      stderrBytes += kept.length;
      stderr.push(kept);
    });
    // A plugin may exit without reading its stdin (EPIPE); its exit status is what counts.
    child.stdin.on("error", () => {});
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError ??= e;
    });
    let finished = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      signal?.removeEventListener("abort", onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      const err = Buffer.concat(stderr).toString("utf8") + (stderrDropped ? `\n... (${stderrDropped} more bytes of stderr dropped)` : "");
      if (spawnError) {
        if (spawnError.code === "ETXTBSY") return reject(new TextBusy());
        return reject(spawnFailure(pluginPath, spawnError));
      }
      if (killedFor) return reject(killedFor);
      const out = Buffer.concat(stdout);
      if (code === 0) {
        if (err && opts.onStderr) opts.onStderr(err);
        return resolve({ stdout: out, stderr: err });
      }
      reject(pluginFailure(pluginPath, out, err, code, sig));
    };
    // A process the plugin left behind (a shell's child, a daemon) can hold the
    // pipes open long after the plugin exited: read for a moment, then stop waiting.
    let drainTimer: NodeJS.Timeout | undefined;
    child.on("exit", (code, sig) => {
      exited = { code, sig };
      // Finishing from the check phase (setImmediate) lets a poll phase run first, so output
      // already in the pipes is read even when a busy event loop makes the timer fire late.
      drainTimer = setTimeout(() => setImmediate(() => setImmediate(() => finish(code, sig))), killedFor ? 0 : EXIT_DRAIN_MS);
    });
    child.on("close", finish);
    child.stdin.end(opts.stdin);
  });
}

function spawnFailure(pluginPath: string, e: NodeJS.ErrnoException): CniError {
  const hint =
    e.code === "EACCES"
      ? "is it executable (chmod +x) and on a filesystem mounted without noexec?"
      : e.code === "ENOENT"
        ? "the file, or the interpreter named in its #! line, does not exist"
        : e.code === "ENOEXEC"
          ? "not an executable format (a script without a #! line?)"
          : undefined;
  return new CniError(ErrorCode.Internal, `cannot exec plugin ${pluginPath}: ${e.code ?? e.message}`, hint, { cause: e });
}

function describeExit(code: number | null, sig: NodeJS.Signals | null): string {
  return sig ? `was killed by signal ${sig}` : `exited with status ${code}`;
}

/**
 * A plugin exited non-zero. `code`/`msg`/`details` are the plugin's own error
 * object when it printed one (so a runtime can act on 11, 50, 51...), else a
 * description of how it died; the raw facts are kept alongside.
 */
export class PluginExecError extends CniError {
  readonly pluginPath: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;

  constructor(code: number, msg: string, details: string | undefined, facts: { pluginPath: string; exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }) {
    super(code, msg, details);
    this.pluginPath = facts.pluginPath;
    this.exitCode = facts.exitCode;
    this.signal = facts.signal;
    this.stderr = facts.stderr;
  }
}

/** The error of a plugin that exited non-zero: its own error object when it printed one. */
function pluginFailure(pluginPath: string, stdout: Buffer, stderr: string, code: number | null, sig: NodeJS.Signals | null): CniError {
  const how = describeExit(code, sig);
  const facts = { pluginPath, exitCode: code, signal: sig, stderr };
  const text = stdout.toString("utf8");
  const stderrNote = stderr.trim() ? `stderr: ${quote(stderr.trim())}` : undefined;
  if (text.trim() === "") {
    return new PluginExecError(
      ErrorCode.Internal,
      `plugin ${pluginPath} ${how} without printing an error object`,
      stderrNote ?? "stderr was empty too",
      facts,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = json === undefined ? undefined : errorObjectSchema().safeParse(json);
  if (!parsed?.success) {
    return new PluginExecError(
      ErrorCode.DecodingFailure,
      `plugin ${pluginPath} ${how} and its stdout is not a CNI error object`,
      [`stdout: ${quote(text)}`, stderrNote].filter(Boolean).join("\n"),
      facts,
    );
  }
  // The plugin's words are passed on untouched; its stderr stays on the error object.
  return new PluginExecError(parsed.data.code, parsed.data.msg, parsed.data.details || undefined, facts);
}
