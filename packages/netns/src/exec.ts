import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { CniError, ErrorCode } from "@tscni/types";
import { type SpawnHost, spawnHost } from "@tscni/types/spawn-host";
import { NetnsError } from "./errors.js";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  timeoutMs?: number;
}

/** Runs argv[0] with argv[1..] (never a shell) and collects its output; a non-zero status is returned, not thrown. */
export type Runner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>;

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Runtimes may exec plugins with an empty environment (cnitool under `env -i`,
 * some test harnesses), so PATH alone cannot be trusted to find iproute2.
 */
const SYSTEM_DIRS = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
const resolved = new Map<string, string>();

export function findTool(name: string): string {
  const hit = resolved.get(name);
  if (hit) return hit;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter((d) => d.startsWith("/")), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      resolved.set(name, candidate);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new NetnsError(
    "tool-missing",
    `${name} not found`,
    `searched PATH and ${SYSTEM_DIRS.join(":")}; install ${name === "nsenter" ? "util-linux" : "iproute2"}`,
  );
}

/**
 * STATUS for a plugin built on this package: every tool it runs (by default
 * iproute2's ip and nsenter) must be installed, else code 50 (plugin not
 * available) naming the tool, with where it was looked for and what to install.
 */
export function assertToolsInstalled(tools: readonly string[] = ["ip", "nsenter"]): void {
  for (const tool of tools) {
    try {
      findTool(tool);
    } catch (e) {
      throw new CniError(ErrorCode.PluginNotAvailable, `${tool} is not installed`, (e as CniError).details ?? "", { cause: e });
    }
  }
}

/** LC_ALL=C: errors are classified by iproute2's English messages. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: "C" };
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  return env;
}

/**
 * The network namespace (a path) the running invocation's host side is in
 * when it is not this process's: set by a daemon serving a runtime in another
 * namespace (spawn-host.ts); undefined in an exec'd plugin.
 */
export function callerNetns(): string | undefined {
  return spawnHost()?.callerNetns?.();
}

/**
 * Runs through the process's spawn host when it has one (the tscni daemon), else with Node's spawn. A command
 * that does not enter a namespace itself (nsenter) runs in the caller's namespace when it is another one.
 */
export const spawnRunner: Runner = (argv, options = {}) => {
  const host = spawnHost();
  const caller = callerNetns();
  const placed = caller === undefined || basename(argv[0] ?? "") === "nsenter" ? argv : [findTool("nsenter"), `--net=${caller}`, "--", ...argv];
  return host?.run ? runThroughHost(host.run.bind(host), placed, options) : runChild(placed, options);
};

async function runThroughHost(run: NonNullable<SpawnHost["run"]>, argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [file] = argv;
  if (file === undefined) throw new TypeError("empty argv");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let o;
  try {
    o = await run({ argv, env: childEnv(), stdin: options.stdin ?? "", timeoutMs });
  } catch (e) {
    throw new NetnsError("tool-missing", `cannot run ${file}`, (e as Error).message, { cause: e });
  }
  if (o.startError !== undefined) throw new NetnsError("tool-missing", `cannot run ${file}`, o.startError);
  if (o.timedOut) throw new NetnsError("timeout", `${argv.join(" ")} did not finish in ${timeoutMs} ms`);
  return { status: o.status ?? (o.signal ? 128 : 1), stdout: o.stdout.toString("utf8"), stderr: o.stderr.toString("utf8") };
}

const runChild: Runner = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) throw new TypeError("empty argv");
    const child = spawn(file, args, { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    // A child that exits before reading its stdin makes the write fail with EPIPE; its status tells the story.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new NetnsError("tool-missing", `cannot run ${file}`, e.message, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new NetnsError("timeout", `${argv.join(" ")} did not finish in ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`));
        return;
      }
      resolve({
        status: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
