/**
 * Execs a built plugin the way a runtime does: through `env -i` with only the
 * CNI variables given, the network config on stdin, and nothing inherited.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
export const fixture = (name: string): string => join(import.meta.dirname, "fixtures", name);

export interface Exec {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function execLikeRuntime(file: string, env: Record<string, string>, stdin = ""): Promise<Exec> {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn("/usr/bin/env", ["-i", ...assignments, file], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status, signal) => resolvePromise({ status, signal, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(stdin);
  });
}

/** Every example plugin in the repository: name -> entry. */
export function examplePlugins(): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = join(repoRoot, "examples");
  for (const name of readdirSync(dir).sort()) {
    const entry = join(dir, name, "src", "main.ts");
    if (existsSync(entry)) out[name] = entry;
  }
  return out;
}

export const ALL_SPEC_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** What every verb needs in the environment, for a container that does not exist anywhere. */
export function cniEnv(command: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "tscni-bundle-test",
    CNI_NETNS: "/var/run/netns/tscni-bundle-never-created",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/nonexistent/cni/bin",
    ...extra,
  };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`stdout is not one JSON document: ${JSON.stringify(text)}`);
  }
}
