/**
 * Heavy Node built-ins load on first use: VERSION of a plugin that spawns
 * processes in ADD never loads child_process, and ADD still gets the real
 * modules through named, namespace and default imports.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, execLikeRuntime, fixture } from "./exec.js";

let dir: string;
let lazy: string;
let eager: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-lazy-"));
  lazy = (await buildExecutable({ entry: fixture("uses-builtins.ts"), outFile: join(dir, "lazy") })).path;
  eager = (await buildExecutable({ entry: fixture("uses-builtins.ts"), outFile: join(dir, "eager"), lazyBuiltins: false })).path;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "lazy-test", type: "uses-builtins" });

/**
 * The built-ins a run loaded, as Node's own module list reports them. stdin is
 * a real pipe, as Go runtimes give it (Node's spawn would give a socketpair,
 * which skel can only read through process.stdin, loading net).
 */
function loadedBuiltins(file: string, env: Record<string, string>, stdin: string): { loaded: string[]; stdout: string; status: number | null } {
  const r = spawnSync("sh", ["-c", 'printf %s "$1" | exec "$2" -r "$3" "$4"', "sh", stdin, process.execPath, fixture("print-loaded-builtins.cjs"), file], {
    env,
    encoding: "utf8",
  });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  if (!line) throw new Error(`no module list on stderr: ${r.stderr}`);
  return { loaded: JSON.parse(line.slice(7)) as string[], stdout: r.stdout, status: r.status };
}

describe("lazy built-ins", () => {
  it("VERSION loads none of child_process, net, crypto", () => {
    const r = loadedBuiltins(lazy, { CNI_COMMAND: "VERSION" }, CONFIG);
    expect(r.status).toBe(0);
    expect(r.loaded.filter((m) => ["child_process", "net", "crypto"].includes(m))).toEqual([]);
  });

  it("ADD loads them when it uses them, and gets the real functions", async () => {
    const r = loadedBuiltins(lazy, cniEnv("ADD"), CONFIG);
    expect(r.status).toBe(0);
    expect(r.loaded).toEqual(expect.arrayContaining(["child_process", "net", "crypto"]));
    const viaRuntime = await execLikeRuntime(lazy, cniEnv("ADD"), CONFIG);
    expect(JSON.parse(viaRuntime.stdout)).toMatchObject({ dns: { domain: expect.stringMatching(/^spawned\.[0-9a-f]{8}\.ipv4$/) } });
  });

  it("lazyBuiltins: false loads them at start-up, with the same answers", async () => {
    const version = loadedBuiltins(eager, { CNI_COMMAND: "VERSION" }, CONFIG);
    expect(version.loaded).toEqual(expect.arrayContaining(["child_process", "net", "crypto"]));
    const [a, b] = await Promise.all([execLikeRuntime(lazy, cniEnv("ADD"), CONFIG), execLikeRuntime(eager, cniEnv("ADD"), CONFIG)]);
    expect(a.stdout).toBe(b.stdout);
  });
});
