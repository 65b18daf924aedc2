/**
 * The checks every built form of a plugin must pass (script bundle, multi-call
 * link, SEA link): each verb exec'd as a runtime would, outputs as the spec says.
 */
import { expect } from "vitest";
import { ALL_SPEC_VERSIONS, cniEnv, execLikeRuntime, parseJson } from "./exec.js";

const netconf = (cniVersion: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion, name: "tscni-bundle-test", type: "noop", ...extra });

export async function expectVersionAnswer(file: string): Promise<void> {
  const r = await execLikeRuntime(file, { CNI_COMMAND: "VERSION" });
  expect(r.status, r.stderr).toBe(0);
  const answer = parseJson(r.stdout) as { cniVersion: string; supportedVersions: string[] };
  expect(answer.supportedVersions.length).toBeGreaterThan(0);
  expect(answer.supportedVersions).toContain(answer.cniVersion);
}

/** Any skel plugin: ADD without a config is a decoding error object on stdout, exit 1, no stack trace. */
export async function expectCleanErrorOnEmptyStdin(file: string): Promise<void> {
  const r = await execLikeRuntime(file, cniEnv("ADD"), "");
  expect(r.status).toBe(1);
  const error = parseJson(r.stdout) as { code: number; msg: string };
  expect(error.code).toBe(6);
  expect(error.msg).toMatch(/stdin is empty/);
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
}

/** noop's whole protocol: every verb, every version ADD can speak, a scripted failure. */
export async function expectNoopSpeaksEveryVerb(file: string): Promise<void> {
  const version = await execLikeRuntime(file, { CNI_COMMAND: "VERSION" }, netconf("0.4.0"));
  expect(version.status, version.stderr).toBe(0);
  expect(parseJson(version.stdout)).toEqual({ cniVersion: "0.4.0", supportedVersions: ALL_SPEC_VERSIONS });

  for (const cniVersion of ["0.3.1", "0.4.0", "1.0.0", "1.1.0"]) {
    const add = await execLikeRuntime(file, cniEnv("ADD"), netconf(cniVersion));
    expect(add.status, add.stderr).toBe(0);
    const result = parseJson(add.stdout) as { cniVersion: string; ips: { address: string }[] };
    expect(result.cniVersion).toBe(cniVersion);
    expect(result.ips[0]?.address).toBe("169.254.0.2/16");
  }
  const old = await execLikeRuntime(file, cniEnv("ADD"), netconf("0.2.0"));
  expect(old.status, old.stderr).toBe(0);
  expect(parseJson(old.stdout)).toMatchObject({ cniVersion: "0.2.0", ip4: { ip: "169.254.0.2/16" } });

  const prevResult = { cniVersion: "1.0.0", ips: [{ address: "169.254.0.2/16" }] };
  for (const verb of ["CHECK", "DEL"]) {
    const r = await execLikeRuntime(file, cniEnv(verb), netconf("1.0.0", { prevResult }));
    expect(r.status, `${verb}: ${r.stderr}`).toBe(0);
    expect(r.stdout, verb).toBe("");
  }
  for (const verb of ["GC", "STATUS"]) {
    const r = await execLikeRuntime(file, cniEnv(verb), netconf("1.1.0"));
    expect(r.status, `${verb}: ${r.stderr}`).toBe(0);
    expect(r.stdout, verb).toBe("");
  }

  const failed = await execLikeRuntime(file, cniEnv("ADD"), netconf("1.0.0", { fail: { ADD: { code: 11, msg: "try again later", details: "scripted" } } }));
  expect(failed.status).toBe(1);
  expect(parseJson(failed.stdout)).toEqual({ cniVersion: "1.0.0", code: 11, msg: "try again later", details: "scripted" });

  const garbage = await execLikeRuntime(file, cniEnv("ADD"), "{not json");
  expect(garbage.status).toBe(1);
  expect((parseJson(garbage.stdout) as { code: number }).code).toBe(6);
  expect(garbage.stdout + garbage.stderr).not.toMatch(/\n\s+at /);
}
