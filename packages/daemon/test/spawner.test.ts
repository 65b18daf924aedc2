/**
 * The daemon's command runner (shim/spawner.c through SpawnerPool): what a
 * command gets and what comes back must be what Node's spawn gives netns, so
 * that plugins answer the same in the daemon as exec'd.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findTool, spawnRunner } from "../../netns/src/exec.js";
import { netns } from "@tscni/netns";
import { createTestNetns, removeAllTestNetns } from "@tscni/netns/testkit";
import { setSpawnHost } from "@tscni/types/spawn-host";
import { skipReason } from "../../../test/support/prereq.js";
import { SpawnerPool } from "../src/spawner.js";
import { SHIM } from "./helpers.js";

const skip = skipReason({ root: true, netns: true, commands: ["flock", "nsenter"], executables: [SHIM, "/bin/sh", "/bin/cat", "/usr/bin/env", "/usr/bin/readlink"] });

describe.skipIf(skip)(`spawner${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const pool = new SpawnerPool(SHIM, 4);
  afterAll(() => pool.close());
  const run = (argv: string[], o: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}) =>
    pool.run({ argv, env: o.env ?? { PATH: "/usr/bin:/bin" }, stdin: o.stdin ?? "", timeoutMs: o.timeoutMs ?? 5000 });

  it("stdout, stderr and the exit status of a command", async () => {
    const o = await run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect({ status: o.status, signal: o.signal, timedOut: o.timedOut, stdout: o.stdout.toString(), stderr: o.stderr.toString() }).toEqual({
      status: 3,
      signal: null,
      timedOut: false,
      stdout: "out\n",
      stderr: "err\n",
    });
    expect(o.startError).toBeUndefined();
  });

  it("passes stdin (4 MiB, more than a pipe holds, while the command writes as much back) and exactly the given environment", async () => {
    const big = "x".repeat(4 * 1024 * 1024);
    const o = await run(["/bin/cat"], { stdin: big });
    expect(o.status).toBe(0);
    expect(o.stdout.length).toBe(big.length);
    expect((await run(["/usr/bin/env"], { env: { LC_ALL: "C", ONLY: "this" } })).stdout.toString()).toBe("LC_ALL=C\nONLY=this\n");
  });

  it("a signal, a missing program and a timeout are told apart", async () => {
    const killed = await run(["/bin/sh", "-c", "kill -9 $$"]);
    expect({ status: killed.status, signal: killed.signal }).toEqual({ status: null, signal: 9 });
    const missing = await run(["/nonexistent/ip", "link"]);
    expect(missing.startError).toBe("spawn /nonexistent/ip ENOENT");
    const slow = await run(["/bin/sleep", "10"], { timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
    expect(slow.signal).toBe(9);
  });

  it("runs more commands at once than it has spawners, each answered with its own output", async () => {
    const outs = await Promise.all(Array.from({ length: 24 }, (_, i) => run(["/bin/sh", "-c", `sleep 0.05; echo ${i}`])));
    expect(outs.map((o) => o.stdout.toString())).toEqual(Array.from({ length: 24 }, (_, i) => `${i}\n`));
  });

  it("a spawner that dies fails only its own request; the next one gets a new spawner", async () => {
    const own = new SpawnerPool(SHIM, 1);
    try {
      const doomed = own.run({ argv: ["/bin/sh", "-c", "kill -9 $PPID; sleep 5"], env: {}, stdin: "", timeoutMs: 5000 });
      await expect(doomed).rejects.toThrow(/command runner .* exited \(SIGKILL\)/);
      const after = await own.run({ argv: ["/bin/sh", "-c", "echo alive"], env: {}, stdin: "", timeoutMs: 5000 });
      expect(after.stdout.toString()).toBe("alive\n");
    } finally {
      own.close();
    }
  });

  it("takes a flock on this process's own descriptor: held until we close it, a second descriptor times out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tscni-spawner-lock-"));
    const path = join(dir, "lock");
    writeFileSync(path, "");
    const heldByOthers = () => spawnSync("flock", ["-n", path, "true"]).status !== 0;
    try {
      const fd = openSync(path, "r");
      expect(await pool.lock(fd, 2000)).toEqual({ kind: "locked" });
      // The spawner closed its copy: the lock is on our open file description, as flock(1) inheriting it would leave it.
      expect(heldByOthers()).toBe(true);
      const second = openSync(path, "r");
      const started = Date.now();
      expect(await pool.lock(second, 200)).toEqual({ kind: "timed-out" });
      expect(Date.now() - started).toBeLessThan(1500);
      closeSync(second);
      closeSync(fd);
      expect(heldByOthers()).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("netns's runner goes through a registered host and maps its outcomes as it maps Node's spawn", async () => {
    const direct = await spawnRunner(["/bin/sh", "-c", "echo a; echo b >&2; exit 2"]);
    setSpawnHost(pool);
    try {
      expect(await spawnRunner(["/bin/sh", "-c", "echo a; echo b >&2; exit 2"])).toEqual(direct);
      await expect(spawnRunner(["/nonexistent/ip"])).rejects.toMatchObject({ message: expect.stringContaining("cannot run /nonexistent/ip") });
      await expect(spawnRunner(["/bin/sleep", "10"], { timeoutMs: 100 })).rejects.toMatchObject({ message: expect.stringContaining("did not finish in 100 ms") });
    } finally {
      setSpawnHost(undefined);
    }
  });

  it("a host naming the caller's network namespace: commands run there, through the pool or Node's spawn; nsenter ones as given", async () => {
    const ns = await createTestNetns("spw-caller");
    const readNetns = async (prefix: string[] = []) => (await spawnRunner([...prefix, "/usr/bin/readlink", "/proc/self/ns/net"])).stdout.trim();
    const enter = (path: string) => [findTool("nsenter"), `--net=${path}`, "--"];
    try {
      const theirs = await readNetns(enter(ns.path));
      expect(theirs).not.toBe(await readNetns());
      // A value only that namespace has (set from outside it, without the host), to tell where a read happens.
      await spawnRunner([...enter(ns.path), "/bin/sh", "-c", "echo 77 > /proc/sys/net/ipv4/ip_default_ttl"]);
      for (const host of [{ run: pool.run.bind(pool), callerNetns: () => ns.path }, { callerNetns: () => ns.path }]) {
        setSpawnHost(host);
        try {
          expect(await readNetns()).toBe(theirs);
          // A sysctl of the host side is read there too, not through this process's /proc.
          expect(await netns().readSysctl("net.ipv4.ip_default_ttl")).toBe("77");
          const own = await createTestNetns("spw-own");
          expect(await readNetns(enter(own.path))).not.toBe(theirs);
        } finally {
          setSpawnHost(undefined);
        }
      }
    } finally {
      await removeAllTestNetns();
    }
  });
});
