// `tscni daemon` for a benchmark: shims for `plugins` in a directory of their own, the daemon on a socket in `dir`
// (inside network namespace `netns` when given, as a node's daemon runs in the host's), stopped by `stop()`.
// Undefined when the shim is not built (it needs gcc).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "../../..");
const SHIM = join(root, "dist", "bin", "tscni-shim");
const TSCNI = join(root, "dist", "bin", "tscni");

export async function startDaemon(dir, plugins, netns) {
  if (!existsSync(SHIM) || !existsSync(TSCNI)) return undefined;
  const { installShims } = await import(pathToFileURL(join(root, "packages", "daemon", "dist", "index.js")).href);
  const socket = join(dir, "run", "d.sock");
  const shims = join(dir, "shims");
  mkdirSync(shims, { recursive: true });
  await installShims({ binDir: shims, socketPath: socket, plugins, shimPath: SHIM });
  const argv = [process.execPath, TSCNI, "daemon", "--socket", socket];
  const proc = netns ? spawn("ip", ["netns", "exec", netns, ...argv], { stdio: ["ignore", "ignore", "pipe"] }) : spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr.on("data", (c) => (log += c));
  const deadline = Date.now() + 20_000;
  while (!log.includes("listening on")) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const stop = () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once("exit", r), proc.kill("SIGTERM"))));
  return { shims, stop };
}
