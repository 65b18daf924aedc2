import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Metafile } from "esbuild";

/**
 * Static proof that a bundle will actually run a plugin: skel's `pluginMain`
 * survived tree-shaking. esbuild drops an unreferenced function, so an entry
 * that only imports types, or never calls pluginMain, has no declaration of it.
 *
 * Checked on an unminified build of the same entry, where esbuild keeps
 * declaration names (suffixed with a digit on a collision) and starts each
 * module's code with a `// <input path>` line. Only declarations inside a
 * module of the package named `@tscni/skel` count, so a plugin's own function
 * called pluginMain does not pass, wherever skel is installed.
 */
export const SKEL_PACKAGE = "@tscni/skel";
const DECLARES_PLUGIN_MAIN = /\b(?:function\*?|var|let|const|class)\s+pluginMain\d*\b/;

export function containsPluginMain(unminified: string, metafile: Metafile, absWorkingDir: string): boolean {
  const inputs = new Set(Object.keys(metafile.inputs));
  let currentIsSkel = false;
  for (const line of unminified.split("\n")) {
    if (line.startsWith("// ") && inputs.has(line.slice(3))) {
      currentIsSkel = packageNameOf(resolve(absWorkingDir, line.slice(3))) === SKEL_PACKAGE;
      continue;
    }
    if (currentIsSkel && DECLARES_PLUGIN_MAIN.test(line)) return true;
  }
  return false;
}

const nameCache = new Map<string, string | undefined>();

/** The `name` of the nearest named package.json above a file. */
export function packageNameOf(file: string): string | undefined {
  let dir = dirname(file);
  const visited: string[] = [];
  for (;;) {
    if (nameCache.has(dir)) {
      const name = nameCache.get(dir);
      for (const v of visited) nameCache.set(v, name);
      return name;
    }
    visited.push(dir);
    let name: string | undefined;
    try {
      const manifest: unknown = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (typeof manifest === "object" && manifest !== null && "name" in manifest && typeof manifest.name === "string") {
        name = manifest.name;
      }
    } catch {
      // no readable package.json here: look further up
    }
    const parent = dirname(dir);
    // A nameless package.json (e.g. one that only sets "type") does not end the search.
    if (name !== undefined || parent === dir) {
      for (const v of visited) nameCache.set(v, name);
      return name;
    }
    dir = parent;
  }
}
