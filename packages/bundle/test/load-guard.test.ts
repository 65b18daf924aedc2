/**
 * A plugin whose top-level code throws at load answers every verb with one CNI
 * error object (code 999) and exit status 1, in every form cni-bundle builds:
 * no Node stack trace, no empty stdout a runtime would read as success.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable, buildSea, type SeaStartup } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, examplePlugins, execLikeRuntime, fixture, parseJson } from "./exec.js";
import { seaSkipReason } from "./sea-support.js";

const skip = await seaSkipReason();
const thrower = fixture("throws-at-load.ts");
let dir: string;
/** Form -> the file to exec as the throwing plugin. */
const forms = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-load-guard-"));
  const out = (name: string) => join(dir, name);
  forms.set("script", (await buildExecutable({ entry: thrower, outFile: out("script") })).path);
  forms.set("script + code cache", (await buildExecutable({ entry: thrower, outFile: out("cached"), codeCache: true })).path);
  await buildExecutable({ applets: { thrower, noop: examplePlugins().noop as string }, outFile: out("multi") });
  forms.set("multi-call script", out("thrower"));
  if (skip) return;
  const startups: SeaStartup[] = ["warm-code-cache", "code-cache", "snapshot", "none"];
  for (const startup of startups) forms.set(`SEA ${startup}`, (await buildSea({ entry: thrower, outFile: out(`sea-${startup}`), startup })).path);
  await buildSea({ applets: { thrower, noop: examplePlugins().noop as string }, outFile: out("sea-multi") });
  forms.set("multi-call SEA", join(dir, "thrower"));
}, 240_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = (cniVersion: string) => JSON.stringify({ cniVersion, name: "load-guard", type: "thrower" });
const cases: Array<[verb: string, stdin: string, cniVersion: string]> = [
  ["VERSION", "", "1.1.0"],
  ["VERSION", JSON.stringify({ cniVersion: "0.4.0" }), "0.4.0"],
  ["ADD", config("1.0.0"), "1.0.0"],
  ["CHECK", config("0.4.0"), "0.4.0"],
  ["DEL", config("0.3.1"), "0.3.1"],
  // A version that is not a spec version is not echoed; neither is a stdin that is not JSON.
  ["DEL", config("9.9.9"), "1.1.0"],
  ["ADD", "{not json", "1.1.0"],
];

describe("a throw at module load", () => {
  it("every form was built", () => {
    expect([...forms.keys()].length).toBe(skip ? 3 : 8);
  });

  it.each(cases)("%s (stdin %s) answers error 999 with cniVersion %s, exit 1, in every form", async (verb, stdin, cniVersion) => {
    for (const [form, file] of forms) {
      const r = await execLikeRuntime(file, cniEnv(verb), stdin);
      expect(r.status, `${form}: ${r.stderr}`).toBe(1);
      expect(parseJson(r.stdout), form).toEqual({
        cniVersion,
        code: 999,
        msg: "the plugin failed to load",
        details: 'TypeError: schema for field mtu: min must be a number, got "1400"',
      });
      expect(r.stdout.trim().split("\n"), form).toHaveLength(1);
      expect(r.stderr, form).toBe('plugin failed to load: TypeError: schema for field mtu: min must be a number, got "1400"\n');
    }
  }, 60_000);

  it("leaves the other applets of a multi-call executable working", async () => {
    const r = await execLikeRuntime(join(dir, "noop"), cniEnv("VERSION"));
    expect(r.status, r.stderr).toBe(0);
    expect(parseJson(r.stdout)).toMatchObject({ supportedVersions: expect.arrayContaining(["1.1.0"]) });
  });
});
