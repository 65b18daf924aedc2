import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/**
 * Prerequisites of tests that need root, network namespaces, Debian packages
 * or built binaries. On a laptop a missing one skips the suite with a visible
 * reason; under CI (CI=true) it fails instead, because CI must run them.
 */
export interface Prerequisites {
  root?: boolean;
  /** Can create a network namespace (`ip netns add`). Implies root. */
  netns?: boolean;
  /** Programs that must be on PATH, e.g. "ip", "go". */
  commands?: string[];
  /** Files that must exist and be executable, e.g. "/usr/lib/cni/bridge". */
  executables?: string[];
}

export function missingPrerequisites(p: Prerequisites): string[] {
  const missing: string[] = [];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if ((p.root || p.netns) && !isRoot) missing.push("root");
  for (const cmd of p.commands ?? []) {
    try {
      execFileSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" });
    } catch {
      missing.push(`command ${cmd}`);
    }
  }
  for (const file of p.executables ?? []) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      missing.push(`executable ${file}`);
    }
  }
  if (p.netns && isRoot && !missing.length) {
    const probe = `tscni-probe-${process.pid}`;
    try {
      execFileSync("ip", ["netns", "add", probe], { stdio: "ignore" });
      execFileSync("ip", ["netns", "del", probe], { stdio: "ignore" });
    } catch {
      missing.push("network namespaces (ip netns add failed)");
    }
  }
  return missing;
}

/**
 * Returns a reason to skip, or undefined when everything is there.
 * Throws under CI=true: a prerequisite missing in CI is a failure.
 *
 *   const skip = skipReason({ netns: true, executables: ["/usr/lib/cni/bridge"] });
 *   describe.skipIf(skip)(`bridge in a namespace${skip ? ` (skipped: ${skip})` : ""}`, () => ...)
 */
export function skipReason(p: Prerequisites): string | undefined {
  const missing = missingPrerequisites(p);
  if (!missing.length) return undefined;
  const reason = `needs ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    throw new Error(`CI=true but a test prerequisite is missing: ${reason}. .ci/run must install it.`);
  }
  console.warn(`[skip] ${reason}`);
  return reason;
}
