import { execFileSync } from "node:child_process";

let cached: string | null | undefined;

function probe(): string | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root (network namespaces)";
  const name = `tscni-probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", name], { stdio: "ignore" });
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    return null;
  } catch {
    return "needs network namespaces (`ip netns add` failed)";
  }
}

/**
 * undefined when namespaces can be made here, else the reason to skip. Under
 * CI=true a missing capability throws instead: CI must run these tests.
 *
 *   const skip = requireNetns();
 *   describe.skipIf(skip)(`my plugin${skip ? ` (skipped: ${skip})` : ""}`, () => { ... });
 */
export function requireNetns(): string | undefined {
  if (cached === undefined) cached = probe();
  if (cached === null) return undefined;
  if (process.env.CI === "true") throw new Error(`CI=true but ${cached}; run the tests as root on Linux`);
  return cached;
}
