/**
 * `tscni daemon` (the CLI lives in @tscni/tscni and calls daemonMain):
 *
 *   --socket PATH            the unix socket (its directory is created 0700)
 *   --plugin NAME=FILE       serve the bundle FILE as NAME (repeatable); --plugin NAME loads
 *                            NAME from the directory of the running script (dist/bin). Without
 *                            any --plugin: every plugin bundle there (those with a NAME.v8cache
 *                            beside them, which cni-bundle writes for plugins and not for CLIs)
 *   --del-spool DIR          replay DELs the shims spooled while the daemon was down
 *   --timeout-ms N           a handler not settled after N ms is answered 999 (default 50000)
 *   --drain-timeout-ms N     on SIGTERM, wait up to N ms for requests in flight (default 10000)
 *   --shim PATH              the built shim, run as the accept helper (default: tscni-shim beside the script)
 *
 * Started by systemd with a socket unit (LISTEN_PID is ours, LISTEN_FDS >= 1),
 * it serves the inherited socket (fd 3) instead of creating --socket.
 */
import { readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadPluginBundle, PluginLoadError } from "./load.js";
import type { LoadedPlugin } from "./load.js";
import { Daemon } from "./server.js";
import { DelSpool } from "./spool.js";

export interface DaemonArgs {
  socketPath: string;
  plugins: [string, string][];
  delSpool?: string;
  handlerTimeoutMs?: number;
  drainTimeoutMs?: number;
  shimPath?: string;
}

const USAGE = "usage: tscni daemon --socket PATH --plugin NAME[=FILE]... [--del-spool DIR] [--timeout-ms N] [--drain-timeout-ms N] [--shim PATH]";
const SPOOL_RESCAN_MS = 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class UsageError extends Error {}

export function parseDaemonArgs(argv: readonly string[], pluginDir = dirname(process.argv[1] ?? ".")): DaemonArgs {
  const out: Partial<DaemonArgs> & { plugins: [string, string][] } = { plugins: [] };
  const ms = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number of milliseconds, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    i++;
    if (flag === "--socket") out.socketPath = value;
    else if (flag === "--del-spool") out.delSpool = value;
    else if (flag === "--shim") out.shimPath = value;
    else if (flag === "--timeout-ms") out.handlerTimeoutMs = ms(flag, value);
    else if (flag === "--drain-timeout-ms") out.drainTimeoutMs = ms(flag, value);
    else if (flag === "--plugin") {
      const eq = value.indexOf("=");
      const name = eq < 0 ? value : value.slice(0, eq);
      if (!NAME.test(name)) throw new UsageError(`--plugin ${JSON.stringify(value)}: the name must be a plain file name`);
      out.plugins.push([name, eq < 0 ? join(pluginDir, name) : value.slice(eq + 1)]);
    } else throw new UsageError(`unknown option ${flag}\n${USAGE}`);
  }
  if (!out.socketPath) throw new UsageError(`--socket is required\n${USAGE}`);
  if (out.plugins.length === 0) {
    const names = readdirSync(pluginDir).filter((n) => n.endsWith(".v8cache") && NAME.test(n.slice(0, -".v8cache".length)));
    for (const cache of names.sort()) out.plugins.push([cache.slice(0, -".v8cache".length), join(pluginDir, cache.slice(0, -".v8cache".length))]);
    if (out.plugins.length === 0) throw new UsageError(`no --plugin given and no plugin bundle (NAME with NAME.v8cache) in ${pluginDir}\n${USAGE}`);
  }
  return out as DaemonArgs;
}

/** True when systemd passed us a listening socket (fd 3); the variables are then removed, so plugins' children never see them. */
function inheritedSocket(): boolean {
  const ours = process.env.LISTEN_PID === String(process.pid) && Number(process.env.LISTEN_FDS) >= 1;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  return ours;
}

/** Runs the daemon until SIGTERM or SIGINT; the exit status. */
export async function daemonMain(argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let args: DaemonArgs;
  const plugins = new Map<string, LoadedPlugin>();
  try {
    args = parseDaemonArgs(argv);
    for (const [name, file] of args.plugins) plugins.set(name, loadPluginBundle(name, file));
  } catch (e) {
    if (e instanceof UsageError || e instanceof PluginLoadError) {
      log(`tscni daemon: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const spool = args.delSpool ? new DelSpool(args.delSpool, log) : undefined;
  const daemon = new Daemon({
    socketPath: args.socketPath,
    plugins,
    log,
    ...(args.handlerTimeoutMs && { handlerTimeoutMs: args.handlerTimeoutMs }),
    ...(args.drainTimeoutMs && { drainTimeoutMs: args.drainTimeoutMs }),
    ...(args.shimPath && { shimPath: args.shimPath }),
    ...(inheritedSocket() && { listenFd: 3 }),
    ...(spool && { onAdd: (key: string) => spool.noteAdd(key) }),
  });
  let rescan: NodeJS.Timeout | undefined;
  try {
    if (spool) {
      await mkdir(spool.dir, { recursive: true, mode: 0o700 });
      // Queued before the socket opens: a live ADD of the same attachment runs after its spooled DEL.
      void spool.replay(daemon);
      rescan = setInterval(() => void spool.replay(daemon), SPOOL_RESCAN_MS);
    }
    await daemon.listen();
  } catch (e) {
    clearInterval(rescan);
    log(`tscni daemon: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const stop = await new Promise<NodeJS.Signals | "lost">((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
    daemon.onLost(() => resolve("lost"));
  });
  log(`tscni daemon: ${stop === "lost" ? "cannot accept any more" : stop}, draining`);
  clearInterval(rescan);
  await daemon.close();
  return stop === "lost" ? 1 : 0;
}
