import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BundleError } from "./errors.js";

/**
 * Node decides how to load an extensionless script from the nearest
 * package.json: under `"type": "module"` it loads the CommonJS bundle as ESM
 * and it dies on `require is not defined`. A script bundle must therefore land
 * outside such a scope (plugin directories have no package.json at all) or
 * under a marker that makes its directory CommonJS.
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

export const COMMONJS_MARKER = `${JSON.stringify({ type: "commonjs" })}\n`;

/**
 * Where a script bundle would be loaded as ESM, a `package.json` with
 * `{"type": "commonjs"}` beside it makes Node load it as CommonJS: the usual
 * `src/main.ts -> dist/my-plugin` in a `"type": "module"` project then just
 * works. Chosen over a file that runs under either loader because the bundle
 * stays what it is (synchronous CommonJS, one loader path, the code cache as
 * measured) and the marker is plain Node behaviour an author can read.
 *
 * The marker would also make other `.js` files in that directory CommonJS, so
 * it is written only into a directory with no package.json and no `.js` or
 * `.ts` sources; otherwise the build is refused as before, naming what to do.
 * Returns the marker's path when one is needed (the caller writes it, after
 * the build succeeded), else undefined.
 */
export async function commonJsMarkerFor(outFile: string): Promise<string | undefined> {
  const scope = await nearestPackageType(outFile);
  if (scope?.type !== "module") return undefined;
  const dir = dirname(outFile);
  const marker = join(dir, "package.json");
  const modules = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.(c|m)?[jt]s$/.test(n));
  if (scope.manifest === marker || modules.length) {
    throw new BundleError(
      "BAD_OPTION",
      `${outFile} would lie in the scope of ${scope.manifest}, which sets "type": "module", so Node would load the CommonJS bundle as ESM and fail, ` +
        `and ${scope.manifest === marker ? "that package.json is the directory's own" : `the directory holds modules (${modules.slice(0, 3).join(", ")}) that a {"type": "commonjs"} marker would change`}; ` +
        `write it to a directory of its own (e.g. dist/bin/ or /opt/cni/bin)`,
    );
  }
  return marker;
}
