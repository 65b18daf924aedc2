import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BundleError } from "./errors.js";

/**
 * Node decides how to load an extensionless script from the nearest
 * package.json: under `"type": "module"` it loads the CommonJS bundle as ESM
 * and it dies on `require is not defined`. A script bundle must therefore land
 * outside such a scope (plugin directories have no package.json at all).
 */
export async function nearestPackageType(file: string): Promise<{ manifest: string; type: string } | undefined> {
  let dir = dirname(file);
  for (;;) {
    const manifest = join(dir, "package.json");
    const text = await readFile(manifest, "utf8").catch(() => undefined);
    if (text !== undefined) {
      let type = "commonjs";
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === "object" && parsed !== null && "type" in parsed && parsed.type === "module") type = "module";
      } catch {
        // Node itself fails on an unparseable package.json; the build need not diagnose it
      }
      return { manifest, type };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function checkCommonJsScope(outFile: string): Promise<void> {
  const scope = await nearestPackageType(outFile);
  if (scope?.type === "module") {
    throw new BundleError(
      "BAD_OPTION",
      `${outFile} would lie in the scope of ${scope.manifest}, which sets "type": "module", so Node would load the CommonJS bundle as ESM and fail; ` +
        `write it elsewhere (e.g. /opt/cni/bin) or put a package.json with {"type": "commonjs"} in its directory`,
    );
  }
}
