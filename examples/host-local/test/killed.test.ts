/**
 * host-local's process killed while it holds the data dir's lock, or at random
 * points of many concurrent ADDs: the lock dies with the process, and DEL and
 * GC leave nothing. A property of the exec'd forms (bundle, SEA): through the
 * daemon's shims, killing the shim does not stop the request, and the daemon's
 * own kill -9 is tested in packages/daemon.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS, addressesOf, claims, network, reservations, run, tempDataDirs } from "./support.js";

const dataDir = tempDataDirs();

// A /28: 13 addresses besides the gateway, so concurrent ADDs contend.
const SMALL = { ranges: [[{ subnet: "169.254.40.0/28" }]] };

/** Is an flock held on this file right now? (/proc/locks lists FLOCK entries by device:inode.) */
function lockHeld(path: string): boolean {
  const inode = statSync(path).ino;
  return readFileSync("/proc/locks", "utf8")
    .split("\n")
    .some((line) => line.includes("FLOCK") && line.split(/\s+/).some((field) => field.endsWith(`:${inode}`)));
}

function startAdd(config: object, containerId: string) {
  const child = spawn(OURS, [], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: containerId,
      CNI_NETNS: "/var/run/netns/tscni-hl-unused",
      CNI_IFNAME: "eth0",
      CNI_PATH: "/usr/lib/cni",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stdin.end(JSON.stringify(config));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout })),
  );
  return { child, done };
}

describe.skipIf(skipReason({ executables: [OURS], commands: ["mkfifo"] }))("a plugin killed mid-ADD", () => {
  it("SIGKILL while holding the lock: the next ADD gets the lock, and DEL leaves nothing", { timeout: 60_000 }, async () => {
    const dir = dataDir("kill");
    const config = network({ name: "killnet", dataDir: dir, ipam: SMALL });
    const netDir = join(dir, "killnet");
    mkdirSync(netDir, { recursive: true });
    // The store never blocks (a FIFO is refused, not opened), so keep the ADD inside the lock with work instead:
    // every claim named by an address is read under the lock, and 40,000 of another network take about a second.
    const claimsDir = join(dir, ".tscni-claims");
    mkdirSync(claimsDir);
    for (let i = 0; i < 40_000; i++) writeFileSync(join(claimsDir, `fd00:99::${i.toString(16)}`), "filler\r\nx\r\neth0");
    const victim = startAdd(config, "victim");
    // Whatever happens below, the victim must not outlive the test.
    onTestFinished(() => {
      if (victim.child.exitCode === null && victim.child.signalCode === null) victim.child.kill("SIGKILL");
    });
    const lockPath = join(netDir, "lock");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        if (lockHeld(lockPath)) break;
      } catch {
        // the lock file does not exist yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(lockHeld(lockPath)).toBe(true);
    victim.child.kill("SIGKILL");
    const ended = await victim.done;
    expect(ended.signal).toBe("SIGKILL");
    expect(lockHeld(lockPath)).toBe(false);
    rmSync(claimsDir, { recursive: true });

    const next = await run({ command: "ADD", config, containerId: "next" });
    expect(next.exitCode, next.stdout).toBe(0);
    expect(addressesOf(next.json)).toEqual(["169.254.40.2"]);
    expect((await run({ command: "DEL", config, containerId: "victim" })).exitCode).toBe(0);
    expect(Object.values(reservations(dir, "killnet"))).toEqual(["next\r\neth0"]);
    expect(claims(dir)).toEqual(["169.254.40.2"]);
  });

  it("SIGKILL at random points of many concurrent ADDs: no address twice, DEL and GC leave nothing", { timeout: 120_000 }, async () => {
    const dir = dataDir("killmany");
    const config = network({ name: "killnet", dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.41.0/24" }]] } });
    const completed: { id: string; ips: string[] }[] = [];
    const killed: string[] = [];
    // Kill points spread over a whole ADD as this machine runs it now, 8 at once; every third ADD is left alone.
    const started = performance.now();
    await run({ command: "ADD", config, containerId: "calibrate" });
    const window = (performance.now() - started) * 4;
    await run({ command: "DEL", config, containerId: "calibrate" });
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let round = 0; round < 6; round++) {
          const id = `k${worker}-${round}`;
          const proc = startAdd(config, id);
          const spare = (worker + round) % 3 === 0;
          const timer = spare ? undefined : setTimeout(() => proc.child.kill("SIGKILL"), Math.random() * window);
          const end = await proc.done;
          clearTimeout(timer);
          if (end.code === 0) completed.push({ id, ips: addressesOf(JSON.parse(end.stdout)) });
          else killed.push(id);
        }
      }),
    );
    expect(killed.length).toBeGreaterThan(0);
    expect(completed.length).toBeGreaterThan(0);
    const handedOut = completed.flatMap((c) => c.ips);
    expect(new Set(handedOut).size).toBe(handedOut.length);
    // What a runtime does after a failed ADD: DEL it.
    for (const id of killed) expect((await run({ command: "DEL", config, containerId: id })).exitCode).toBe(0);
    const held = reservations(dir, "killnet");
    expect(Object.keys(held).sort()).toEqual([...handedOut].sort());
    for (const c of completed) for (const ip of c.ips) expect(held[ip]).toBe(`${c.id}\r\neth0`);
    expect(claims(dir)).toEqual(Object.keys(held).sort());
    // GC keeps what is valid and drops the rest.
    const valid = completed.slice(0, 2).map((c) => ({ containerID: c.id, ifname: "eth0" }));
    const gc = await run({ command: "GC", config: { ...config, "cni.dev/valid-attachments": valid } });
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect(Object.keys(reservations(dir, "killnet")).sort()).toEqual(completed.slice(0, 2).flatMap((c) => c.ips).sort());
    await run({ command: "GC", config: { ...config, "cni.dev/valid-attachments": [] } });
    expect(reservations(dir, "killnet")).toEqual({});
    expect(claims(dir)).toEqual([]);
  });
});
