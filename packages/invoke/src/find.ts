import { statSync } from "node:fs";
import { join, sep } from "node:path";
import { CniError, ErrorCode } from "@tscni/types";

/**
 * Finds the plugin executable `name` in `paths` (CNI_PATH split): the first
 * directory holding a regular file of that name wins. Symlinks are followed;
 * the execute bit is not checked here, so a non-executable plugin fails at
 * exec with an error that says so instead of being silently skipped.
 */
export function findInPath(name: string, paths: readonly string[]): string {
  if (!name) throw new CniError(ErrorCode.InvalidNetworkConfig, "no plugin name provided");
  // A name with a separator would let a config's "type" point anywhere on disk.
  if (name.includes(sep) || name.includes("/") || name === "." || name === "..") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid plugin name: ${name}`, "a plugin type must be a file name, not a path");
  }
  const dirs = paths.filter((p) => p !== "");
  if (dirs.length === 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, "no paths provided", `cannot look up plugin "${name}": the plugin search path (CNI_PATH) is empty`);
  }
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // missing or unreadable: try the next directory
    }
  }
  throw new CniError(ErrorCode.InvalidEnvironment, `failed to find plugin "${name}" in path [${dirs.join(" ")}]`);
}

/** Splits a CNI_PATH value (colon-separated on Linux), dropping empty entries. */
export function splitCniPath(value: string | undefined): string[] {
  return (value ?? "").split(":").filter((p) => p !== "");
}
