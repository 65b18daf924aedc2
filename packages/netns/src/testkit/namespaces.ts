import { execFileSync } from "node:child_process";
import { netns } from "../namespace.js";
import type { NetNs } from "../namespace.js";
import { findTool } from "../exec.js";
import { runIp } from "./ip.js";

/** A namespace made for one test: `ip netns add` under /run/netns, removed by `remove()` or at exit. */
export interface TestNetns extends AsyncDisposable {
  /** The name under /run/netns: `tscni-<prefix>-<pid>-<n>`. */
  readonly name: string;
  /** `/run/netns/<name>`: what CNI_NETNS gets. */
  readonly path: string;
  /** A handle for reading and changing it. */
  readonly ns: NetNs;
  /** Idempotent. */
  remove(): Promise<void>;
}

const live = new Set<string>();
let counter = 0;
let exitHookInstalled = false;

/** Last resort for a crashed or interrupted test: synchronous, so it runs inside 'exit'. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const name of live) {
      try {
        execFileSync(findTool("ip"), ["netns", "del", name], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Creates a throwaway network namespace with `lo` down, as a runtime hands
 * one over. Names are unique per process and call, so concurrent test
 * processes never collide. Register `removeAllTestNetns` in afterEach or
 * afterAll; an exit hook removes what is left if a test run dies.
 */
export async function createTestNetns(prefix = "t"): Promise<TestNetns> {
  if (!/^[a-z0-9-]{1,20}$/u.test(prefix)) throw new TypeError(`netns prefix ${JSON.stringify(prefix)}: use 1-20 of a-z, 0-9, -`);
  installExitHook();
  const name = `tscni-${prefix}-${process.pid}-${++counter}`;
  await runIp(["netns", "add", name]);
  live.add(name);
  const path = `/run/netns/${name}`;
  const remove = async (): Promise<void> => {
    if (!live.delete(name)) return;
    await runIp(["netns", "del", name], { allowFailure: true });
  };
  return { name, path, ns: netns(path), remove, [Symbol.asyncDispose]: remove };
}

/** Removes every namespace this process created and has not removed yet. */
export async function removeAllTestNetns(): Promise<void> {
  const names = [...live];
  live.clear();
  await Promise.all(names.map((n) => runIp(["netns", "del", n], { allowFailure: true })));
}

/** The names still alive, for assertions that a test cleaned up. */
export function liveTestNetns(): string[] {
  return [...live];
}
