/** Bundles a plugin fixture into an executable, as a runtime would find it, for the tests of one file. */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll } from "vitest";

/**
 * The path of `fixtures/<source>` bundled to `<temp dir>/<name>`: built before
 * the file's tests, removed after them. Call at top level.
 */
export function fixtureBinary(source: string, name: string, tag: string): string {
  const work = mkdtempSync(join(tmpdir(), `tscni-skel-${tag}-`));
  const binary = join(work, name);
  beforeAll(async () => {
    await build({
      entryPoints: [join(import.meta.dirname, "fixtures", source)],
      outfile: binary,
      bundle: true,
      platform: "node",
      format: "cjs",
      conditions: ["source"],
      logLevel: "error",
    });
    chmodSync(binary, 0o755);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return binary;
}
