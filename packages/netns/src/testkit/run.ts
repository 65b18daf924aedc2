import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { findTool } from "../exec.js";

/** One call of a plugin, in the runtime's terms. */
export interface PluginInvocation {
  /** CNI_COMMAND. */
  command: string;
  /** stdin: an object is JSON-encoded. */
  config: object | string;
  /** CNI_CONTAINERID; default "tscni-test-container". */
  containerId?: string;
  /** CNI_NETNS (a path); "" or omitted sends an empty value. */
  netns?: string;
  /** CNI_IFNAME; default "eth0". */
  ifName?: string;
  /** CNI_ARGS. */
  args?: string;
  /** CNI_PATH entries. */
  path?: string[];
  /** Further variables (CNI_LOG_LEVEL...). */
  env?: Record<string, string>;
}

/** What one run of a plugin left: exit status and output (from execPluginBinary or runInProcess). */
export interface RunOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed; undefined when stdout is empty. */
  json: unknown;
}

/** The CNI_* variables of an invocation (GC and STATUS get empty container fields, as libcni sends). */
export function cniEnv(inv: PluginInvocation): Record<string, string> {
  const perContainer = inv.command !== "GC" && inv.command !== "STATUS" && inv.command !== "VERSION";
  return {
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: perContainer ? (inv.containerId ?? "tscni-test-container") : "",
    CNI_NETNS: perContainer ? (inv.netns ?? "") : "",
    CNI_IFNAME: perContainer ? (inv.ifName ?? "eth0") : "",
    CNI_ARGS: inv.args ?? "",
    CNI_PATH: (inv.path ?? []).join(":"),
    ...inv.env,
  };
}

function parseStdout(stdout: string): unknown {
  if (stdout.trim() === "") return undefined;
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

export interface ExecPluginBinaryOptions extends PluginInvocation {
  /** The plugin executable (e.g. dist/bin/bridge). */
  binary: string;
  /**
   * Run the plugin inside this namespace (a path, or a name under /run/netns),
   * so its "host side" is a test namespace and not the machine's.
   */
  hostNetns?: string;
  timeoutMs?: number;
}

/**
 * Execs a plugin binary the way a runtime does: an environment holding only
 * the CNI variables (plus a PATH to find `node` for a `#!/usr/bin/env node`
 * bundle), the config on stdin, stdout and stderr collected.
 */
export function execPluginBinary(o: ExecPluginBinaryOptions): Promise<RunOutput> {
  const env = { PATH: [dirname(process.execPath), "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"), ...cniEnv(o) };
  const argv =
    o.hostNetns === undefined
      ? [o.binary]
      : [findTool("nsenter"), `--net=${o.hostNetns.includes("/") ? o.hostNetns : `/run/netns/${o.hostNetns}`}`, "--", o.binary];
  const stdin = typeof o.config === "string" ? o.config : JSON.stringify(o.config);
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.stdin.on("error", () => {});
    child.stdin.end(stdin);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, json: parseStdout(stdout) });
    });
  });
}

/** skel's `runPlugin` from `@tscni/skel/testing`, taken as a parameter so this package does not depend on skel. */
export type InProcessRunner<P> = (plugin: P, options: { env: Record<string, string>; stdin: string }) => Promise<RunOutput>;

/**
 * Runs a plugin definition in this process through skel's dispatcher:
 * `runInProcess(runPlugin, plugin, { command: "ADD", ... })`. Its host-side
 * operations happen in the namespace this process runs in: use it for
 * plugins that only touch CNI_NETNS (loopback, IPAM), or run the test process
 * itself inside a throwaway namespace.
 */
export async function runInProcess<P>(runPlugin: InProcessRunner<P>, plugin: P, inv: PluginInvocation): Promise<RunOutput> {
  return runPlugin(plugin, { env: cniEnv(inv), stdin: typeof inv.config === "string" ? inv.config : JSON.stringify(inv.config) });
}
