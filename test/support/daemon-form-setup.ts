// The "daemon" project's setup: a tscni daemon serving every example plugin
// from dist/bin, and its shims installed by `tscni install --daemon-socket`
// into the directory the project's tests exec plugins from. Stopped (SIGTERM)
// and removed at teardown, also when tests failed.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { buildOnce } from "./global-setup.js";

const repo = resolve(import.meta.dirname, "../..");
const TSCNI = join(repo, "dist", "bin", "tscni");

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildOnce();
  const bin = project.config.env.TSCNI_TEST_PLUGIN_BIN!;
  const root = dirname(bin);
  const socket = join(root, "run", "daemon.sock");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(bin, { recursive: true });
  const plugins = readdirSync(join(repo, "examples")).filter((p) => !p.startsWith("."));
  const install = spawnSync(TSCNI, ["install", "--bin-dir", bin, "--conf-dir", join(root, "net.d"), "--daemon-socket", socket, "--plugins", plugins.join(",")], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`tscni install --daemon-socket failed: ${install.stderr}`);
  const daemon: ChildProcess = spawn(process.execPath, [TSCNI, "daemon", "--socket", socket], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  daemon.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const deadline = Date.now() + 20_000;
  while (!log.includes("listening on")) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      daemon.kill("SIGKILL");
      throw new Error(`tscni daemon did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return async () => {
    if (daemon.exitCode === null) {
      const exited = new Promise((r) => daemon.once("exit", r));
      daemon.kill("SIGTERM");
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
