/**
 * The lock in a long-lived process (the daemon): holders of one process queue
 * and the flock passes between them without flock(1) being run again, while
 * other processes still exclude them and still get their turn.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore, type FileLock, type LockOptions, lockFile } from "@tscni/ipam";
import { cniRejection } from "../../../test/support/cni-error.js";
import { skipReason } from "../../../test/support/prereq.js";

const FLOCK = "/usr/bin/flock";
const skip = skipReason({ executables: [FLOCK] });

let dir: string;
let lockPath: string;
let counted: LockOptions;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tscni-flock-"));
  lockPath = join(dir, "lock");
  // flock(1) behind a wrapper that counts its runs: hand-offs must not run it.
  const wrapper = join(dir, "counting-flock");
  writeFileSync(wrapper, `#!/bin/sh\necho run >> ${JSON.stringify(join(dir, "runs"))}\nexec ${FLOCK} "$@"\n`);
  chmodSync(wrapper, 0o755);
  // No linger unless a test asks for it: "released when the queue empties" is then checkable at once.
  counted = { flockPath: wrapper, lingerMs: 0 };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function flockRuns(): number {
  try {
    return readFileSync(join(dir, "runs"), "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** Another process holding the lock until `release()`; `held` settles once it has it. */
function outsideHolder(path: string, waitSeconds = 10) {
  const child = spawn(FLOCK, ["-x", "-w", String(waitSeconds), path, "-c", "echo held; read line"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const held = new Promise<void>((r) => child.stdout.once("data", () => r()));
  return { held, exited, release: () => child.stdin.end("\n"), kill: () => child.kill("SIGKILL") };
}

/** Can another process take the lock right now (flock -n)? */
function freeForOthers(path: string): Promise<boolean> {
  return new Promise((r) => spawn(FLOCK, ["-n", path, "true"], { stdio: "ignore" }).on("exit", (code) => r(code === 0)));
}

describe.skipIf(skip)(`lockFile in a long-lived process${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("hands the lock to queued holders in arrival order, with one flock(1) run, and releases it when the queue empties", async () => {
    const order: number[] = [];
    const first = await lockFile(lockPath, counted);
    const waiting = [1, 2, 3, 4, 5].map((n) =>
      lockFile(lockPath, counted).then((lock) => {
        order.push(n);
        lock.release();
      }),
    );
    expect(await freeForOthers(lockPath)).toBe(false);
    first.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(flockRuns()).toBe(1);
    expect(await freeForOthers(lockPath)).toBe(true);
    // A release is idempotent: releasing again does not hand anything to anyone.
    first.release();
    const again = await lockFile(lockPath, counted);
    again.release();
    expect(flockRuns()).toBe(2);
  });

  it("after holders have queued, the lock lingers for the next request, then is released", async () => {
    const options = { ...counted, lingerMs: 300, holdMs: 10_000 };
    const first = await lockFile(lockPath, options);
    const second = lockFile(lockPath, options);
    first.release();
    (await second).release();
    // Nobody queued: still ours for the linger, and a request now gets it without flock(1).
    expect(await freeForOthers(lockPath)).toBe(false);
    (await lockFile(lockPath, options)).release();
    expect(flockRuns()).toBe(1);
    const outside = spawn(FLOCK, ["-x", "-w", "10", lockPath, "true"], { stdio: "ignore" });
    expect(await new Promise((r) => outside.on("exit", r))).toBe(0);
    expect(await freeForOthers(lockPath)).toBe(true);
  });

  it("a holder that throws inside withLock passes the lock on; nothing is left held", async () => {
    const store = new DiskStore({ dataDir: dir, network: "net1", lock: counted });
    const seen: string[] = [];
    const results = await Promise.allSettled([
      store.withLock(async () => {
        seen.push("a");
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("holder a failed");
      }),
      store.withLock(() => {
        seen.push("b");
        return "b done";
      }),
      store.withLock(() => {
        throw new Error("holder c failed");
      }),
      store.withLock(() => "d done"),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "holder a failed",
      "b done",
      "holder c failed",
      "d done",
    ]);
    expect(seen).toEqual(["a", "b"]);
    expect(flockRuns()).toBe(1);
    expect(await freeForOthers(join(dir, "net1", "lock"))).toBe(true);
  });

  it("a queued holder times out with code 11 naming the file, and the queue behind it still gets the lock", async () => {
    // holdMs above the wait: the lock passes on without being taken again.
    const options = { ...counted, holdMs: 10_000 };
    const first = await lockFile(lockPath, options);
    const impatient = cniRejection(lockFile(lockPath, { ...options, timeoutMs: 100 }));
    const patient = lockFile(lockPath, { ...options, timeoutMs: 10_000 });
    const error = await impatient;
    expect(error).toMatchObject({ code: 11 });
    expect(error.msg).toContain(lockPath);
    expect(error.details).toContain("in this process");
    first.release();
    (await patient).release();
    expect(flockRuns()).toBe(1);
  });

  it("another process holding the flock blocks every holder here; a timeout is code 11; then they all run", async () => {
    const outside = outsideHolder(lockPath);
    try {
      await outside.held;
      const error = await cniRejection(lockFile(lockPath, { ...counted, timeoutMs: 200 }));
      expect(error).toMatchObject({ code: 11 });
      expect(error.details).toContain("another plugin process");
      const order: number[] = [];
      const waiting = [1, 2, 3].map((n) =>
        lockFile(lockPath, counted).then((lock) => {
          order.push(n);
          lock.release();
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(order).toEqual([]);
      outside.release();
      await Promise.all(waiting);
      expect(order).toEqual([1, 2, 3]);
      expect(await outside.exited).toBe(0);
    } finally {
      outside.kill();
    }
  });

  it("a process waiting for the flock gets it while holders here keep coming (holdMs), and they go on after it", async () => {
    const options = { ...counted, holdMs: 30 };
    let outsideDone = false;
    let grantedAfter = 0;
    let granted = 0;
    // A stream of holders that never lets the queue here run empty: each queues the next before releasing.
    const stream = async () => {
      let lock: FileLock = await lockFile(lockPath, options);
      while (granted < 5000 && !(outsideDone && grantedAfter >= 3)) {
        granted++;
        if (outsideDone) grantedAfter++;
        await new Promise((r) => setTimeout(r, 2));
        const following = lockFile(lockPath, options);
        lock.release();
        lock = await following;
      }
      lock.release();
    };
    const running = stream();
    await new Promise((r) => setTimeout(r, 50));
    const outside = spawn(FLOCK, ["-x", "-w", "20", lockPath, "true"], { stdio: "ignore" });
    const outsideCode = new Promise<number | null>((r) =>
      outside.on("exit", (code) => {
        outsideDone = true;
        r(code);
      }),
    );
    await running;
    expect(await outsideCode).toBe(0);
    // The stream stopped because the outside process got its turn, not because it ran out.
    expect(granted).toBeLessThan(5000);
    expect(grantedAfter).toBe(3);
    expect(flockRuns()).toBeGreaterThan(1);
    expect(await freeForOthers(lockPath)).toBe(true);
  });

  it("a lock file replaced between two holders is opened and checked anew: a link there is code 11", async () => {
    const first = await lockFile(lockPath, counted);
    const second = cniRejection(lockFile(lockPath, counted));
    rmSync(lockPath);
    writeFileSync(join(dir, "elsewhere"), "");
    symlinkSync(join(dir, "elsewhere"), lockPath);
    first.release();
    const error = await second;
    expect(error).toMatchObject({ code: 11 });
    expect(error.msg).toContain(lockPath);
  });

  it("SIGKILL of a process whose holders are handing the lock on releases it", { timeout: 30_000 }, async () => {
    // A long-lived process of its own: lockFile bundled from source, three holders queued, the second never releases.
    const script = join(dir, "holder.mjs");
    await build({
      stdin: {
        contents: `import { lockFile } from "@tscni/ipam";
const path = process.argv[2];
const a = await lockFile(path);
const b = lockFile(path);
const c = lockFile(path);
a.release();
await b;
process.stdout.write("second holds\\n");
await c;`,
        resolveDir: resolve(import.meta.dirname),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      conditions: ["source"],
      outfile: script,
      logLevel: "silent",
    });
    const child = spawn(process.execPath, [script, lockPath], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((r) => child.stdout.once("data", () => r()));
      expect(await freeForOthers(lockPath)).toBe(false);
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGKILL");
      await exited;
      const lock = await lockFile(lockPath, { timeoutMs: 5_000 });
      lock.release();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
