import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";

export const CNITOOL = resolve(import.meta.dirname, "../../../dist/bin/cnitool");

/** What a runtime's environment looks like: nothing inherited but PATH (node is found through it). */
export function runtimeEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with exactly `env` (NODE_EXTRA_CA_CERTS never reaches a child: it slows every node start). */
export function run(cmd: string, args: string[], env: Record<string, string>): Run {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let counter = 0;

/** Throwaway network namespaces with unique names; `cleanup()` deletes them even after a failed test. */
export class Namespaces {
  readonly names: string[] = [];

  create(role: string): string {
    const name = `tscni-${role}-${process.pid}-${++counter}`;
    execFileSync("ip", ["netns", "add", name]);
    this.names.push(name);
    execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  cleanup(): void {
    for (const name of this.names.splice(0)) spawnSync("ip", ["netns", "del", name]);
  }
}

export function nsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** Runs in `ns` with `ip netns exec`, so nothing a plugin does touches the root namespace. */
export function inNs(ns: string, cmd: string, args: string[], env: Record<string, string>): Run {
  return run("ip", ["netns", "exec", ns, "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args], { PATH: env.PATH ?? "/usr/bin:/bin" });
}
