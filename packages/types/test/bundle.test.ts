/**
 * Start-up cost: what a plugin bundle pays for importing from these packages.
 * Bundles small entry points with esbuild as scripts/build.mjs does and
 * checks, from the metafile, which inputs reach the output.
 */
import { describe, expect, it } from "vitest";
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

async function bundle(contents: string): Promise<{ bytes: number; bytesFrom: (match: string) => number; inputs: string[] }> {
  const r = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    platform: "node",
    format: "cjs",
    minify: true,
    write: false,
    metafile: true,
    conditions: ["source"],
    logLevel: "silent",
  });
  const out = Object.values(r.metafile.outputs)[0]!;
  const used = Object.entries(out.inputs).filter(([, v]) => v.bytesInOutput > 0);
  return {
    bytes: r.outputFiles[0]!.contents.length,
    bytesFrom: (match) => used.filter(([k]) => k.includes(match)).reduce((sum, [, v]) => sum + v.bytesInOutput, 0),
    inputs: used.map(([k]) => k),
  };
}

describe("bundles", () => {
  it("importing only CniError carries no zod and no schema code", async () => {
    const b = await bundle(`import { CniError } from "@tscni/types"; console.log(new CniError(7, "x").toObject());`);
    expect(b.bytesFrom("zod")).toBe(0);
    expect(b.inputs.filter((i) => i.includes("schemas") || i.includes("result"))).toEqual([]);
    expect(b.bytes).toBeLessThan(2_000);
  });

  // Versions are compared numerically: semver built ~40 regexes at every plugin load.
  it("the version checks carry neither zod nor semver", async () => {
    const b = await bundle(
      `import { reconcile, checkVerbAllowed, versionsStartingFrom } from "@tscni/version";
       const info = versionsStartingFrom("0.3.0"); checkVerbAllowed("CHECK", "1.0.0", info); console.log(reconcile("1.0.0", info));`,
    );
    expect(b.bytesFrom("zod")).toBe(0);
    expect(b.bytesFrom("semver")).toBe(0);
    expect(b.bytes).toBeLessThan(8_000);
  });

  it("printing a result carries zod/mini without any locale", async () => {
    const b = await bundle(`import { resultForVersion } from "@tscni/types/internal"; console.log(resultForVersion({ cniVersion: "1.1.0" }, "0.4.0"));`);
    expect(b.inputs.some((i) => i.includes("zod/v4/mini"))).toBe(true);
    expect(b.inputs.filter((i) => i.includes("locales"))).toEqual([]);
    expect(b.bytes).toBeLessThan(60_000);
  });
});
