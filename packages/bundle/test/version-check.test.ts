/**
 * `versions: ["1.0", "1.1.0"]` (cast past the type, or built at run time):
 * skel answers every verb, VERSION included, with error 999 naming "1.0", and
 * cni-bundle build refuses such a plugin (its warm-up VERSION runs it) with
 * nothing written, in every form it builds.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildExecutable, buildSea } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, examplePlugins, execLikeRuntime, fixture, parseJson, repoRoot } from "./exec.js";
import { seaSkipReason } from "./sea-support.js";

const skip = await seaSkipReason();
const declaresShort = fixture("noncanonical-versions.ts");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-version-check-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REFUSAL = /^the plugin answers VERSION with error 999: the plugin declares version "1\.0", which is not a spec version string \(write it as "1\.0\.0"\); a runtime could not use it, so nothing was written$/;

async function refusal(build: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  return build.then(
    () => ({}),
    (e: unknown) => e as { code?: string; message?: string },
  );
}

describe("a plugin declaring a version that is not a spec version string", () => {
  it.each([
    ["script", (out: string) => buildExecutable({ entry: declaresShort, outFile: join(out, "p") })],
    ["script + code cache", (out: string) => buildExecutable({ entry: declaresShort, outFile: join(out, "p"), codeCache: true })],
  ])("%s: the build refuses it and writes nothing", async (_form, build) => {
    const out = await mkdtemp(join(dir, "out-"));
    const e = await refusal(build(out));
    expect(e.code).toBe("VERSION_REFUSED");
    expect(e.message).toMatch(REFUSAL);
    expect(await readdir(out)).toEqual([]);
  }, 60_000);

  it("multi-call: names the applet and writes neither the executable nor its links", async () => {
    const out = await mkdtemp(join(dir, "multi-"));
    const e = await refusal(buildExecutable({ applets: { noop: examplePlugins().noop as string, short: declaresShort }, outFile: join(out, "all") }));
    expect(e.code).toBe("VERSION_REFUSED");
    expect(e.message).toMatch(/^applet short answers VERSION with error 999: the plugin declares version "1\.0"/);
    expect(await readdir(out)).toEqual([]);
  }, 60_000);

  it.skipIf(skip !== undefined)("SEA (warm-code-cache and none): refused, nothing written", async () => {
    for (const startup of ["warm-code-cache", "none"] as const) {
      const out = await mkdtemp(join(dir, "sea-"));
      const e = await refusal(buildSea({ entry: declaresShort, outFile: join(out, "p"), startup }));
      expect(e.code, startup).toBe("VERSION_REFUSED");
      expect(e.message, startup).toMatch(REFUSAL);
      expect(await readdir(out), startup).toEqual([]);
    }
  }, 120_000);

  it("cni-bundle build exits 1 with the code and the entry, no stack trace", async () => {
    const out = await mkdtemp(join(dir, "cli-"));
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = await promisify(execFile)(join(repoRoot, "dist", "bin", "cni-bundle"), ["build", declaresShort, "-o", join(out, "p")], { env }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cni-bundle: VERSION_REFUSED: the plugin answers VERSION with error 999: the plugin declares version "1\.0"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(out)).toEqual([]);
  }, 60_000);

  it("at run time (a list built from the environment) every verb is error 999 naming the entry, VERSION included", async () => {
    const noop = (await buildExecutable({ entry: examplePlugins().noop as string, outFile: join(dir, "noop") })).path;
    const short = { NOOP_SUPPORTED_VERSIONS: "1.0,1.1.0" };
    const config = JSON.stringify({ cniVersion: "1.0.0", name: "version-check", type: "noop" });
    for (const [verb, stdin] of [
      ["VERSION", '{"cniVersion":"1.0.0"}'],
      ["ADD", config],
      ["DEL", config],
    ] as const) {
      const r = await execLikeRuntime(noop, cniEnv(verb, short), stdin);
      expect(r.status, verb).toBe(1);
      expect(parseJson(r.stdout), verb).toEqual({
        cniVersion: "1.1.0",
        code: 999,
        msg: 'the plugin declares version "1.0", which is not a spec version string',
        details: 'write it as "1.0.0"',
      });
    }
    // The same plugin with spec strings is fine.
    const ok = await execLikeRuntime(noop, cniEnv("VERSION", { NOOP_SUPPORTED_VERSIONS: "1.0.0,1.1.0" }), '{"cniVersion":"1.0.0"}');
    expect(ok.status, ok.stderr).toBe(0);
    expect(parseJson(ok.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["1.0.0", "1.1.0"] });
  }, 60_000);
});
