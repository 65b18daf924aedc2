/**
 * Random environments and random stdin thrown at the dispatcher with noop-like
 * handlers. Whatever comes in, a run ends with exit 0 and a valid result (or
 * nothing where the verb prints nothing), or exit 1 and exactly one valid CNI
 * error object; never a stack trace on stdout, never two documents, never a throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CniError, SPEC_VERSIONS, parseResult } from "@tscni/types";
import type { SpecVersion } from "@tscni/types";
import { dispatch } from "@tscni/skel/internal";
import type { AnyPlugin } from "@tscni/skel";
import { CONTAINER_NETNS, SAMPLE_RESULT, prevResultIn } from "./helpers.js";

const VERBS = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"];
const ERROR_KEYS = new Set(["cniVersion", "code", "msg", "details"]);

const garbage = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("", " ", "a/b", "..", "-x", "x".repeat(20)));

const ENV_VARS = ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH", "CNI_NETNS_OVERRIDE"];

/** A mutation of a valid environment: a variable dropped, or set to something odd. */
const mutationArb = fc.tuple(
  fc.constantFrom(...ENV_VARS),
  fc.oneof(
    fc.constant(undefined),
    garbage,
    fc.constantFrom("/proc/self/ns/net", "/proc/1/ns/net", "A=1;B", "=x", "1", "true", "ADD", "add", "VERSION"),
  ),
);

/** Mostly valid environments for a random verb, with up to three random mutations. */
const envArb = fc
  .tuple(
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...VERBS) }, { weight: 1, arbitrary: garbage }),
    fc.constantFrom("", "K8S_POD_NAME=a;IgnoreUnknown=1", "IgnoreUnknown=1"),
    fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutationArb, { maxLength: 3 }) }),
    fc.constantFrom(...Array.from({ length: 10 }, (_, i) => i === 0)),
  )
  .map(([verb, args, mutations, ownNetns]) => {
    const env: Record<string, string | undefined> = {
      CNI_COMMAND: verb,
      CNI_CONTAINERID: "ctr-1",
      CNI_NETNS: ownNetns ? "/proc/self/ns/net" : CONTAINER_NETNS,
      CNI_IFNAME: "eth0",
      CNI_ARGS: args,
      CNI_PATH: "/opt/cni/bin",
    };
    for (const [name, value] of mutations) env[name] = value;
    return env;
  });

/** 1.1.0 is favoured: GC and STATUS run only there. */
const versionArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant("1.1.0") },
  { weight: 5, arbitrary: fc.constantFrom(...SPEC_VERSIONS) },
  { weight: 1, arbitrary: fc.constantFrom("", "1.0", "9.9.9", "x") },
);

/** Mostly valid configs with some fields missing or replaced by random JSON, so every branch is reached. */
const configArb = fc
  .tuple(
    fc.record({
      cniVersion: versionArb,
      name: fc.constantFrom("net", "my-net.1"),
      type: fc.constant("noop"),
    }),
    fc.record(
      {
        ipam: fc.oneof({ weight: 5, arbitrary: fc.constant({ type: "host-local" }) }, { weight: 1, arbitrary: fc.jsonValue() }),
        prevResult: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...SPEC_VERSIONS).map(prevResultIn) },
          { weight: 1, arbitrary: fc.jsonValue() },
        ),
        runtimeConfig: fc.oneof({ weight: 5, arbitrary: fc.constant({ mac: "0a:58:00:00:00:01" }) }, { weight: 1, arbitrary: fc.jsonValue() }),
        "cni.dev/valid-attachments": fc.oneof({ weight: 5, arbitrary: fc.constant([{ containerID: "c", ifname: "eth0" }]) }, { weight: 1, arbitrary: fc.jsonValue() }),
        logLevel: fc.constantFrom("info", "warn", "warn", "warn", "loud"),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom("cniVersion", "name", "type"), fc.option(fc.jsonValue(), { nil: undefined })) },
    ),
  )
  .map(([base, extra, broken]) => {
    const config: Record<string, unknown> = { ...base, ...extra };
    if (broken) config[broken[0]] = broken[1];
    return JSON.stringify(config);
  });

const stdinArb = fc.oneof(
  { weight: 12, arbitrary: configArb },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.string() },
);

type Behaviour = "ok" | "cni-error" | "plain-error" | "throw-string" | "prev" | "random-result";
const behaviourArb = fc.constantFrom<Behaviour>("ok", "ok", "ok", "ok", "ok", "cni-error", "plain-error", "throw-string", "prev", "random-result");

function noopLike(behaviour: Behaviour, randomResult: unknown, versions: readonly SpecVersion[]): AnyPlugin {
  const act = (args: { prevResult?: unknown }): unknown => {
    switch (behaviour) {
      case "cni-error":
        throw new CniError(11, "try again", "busy");
      case "plain-error":
        throw new Error("boom\n    at fake (file.js:1:2)");
      case "throw-string":
        throw "just a string";
      case "prev":
        return args.prevResult ?? SAMPLE_RESULT;
      case "random-result":
        return randomResult;
      default:
        return SAMPLE_RESULT;
    }
  };
  return {
    versions,
    add: (args) => act(args) as never,
    del: (args) => void act(args),
    check: (args) => void act(args),
    gc: (args) => void act(args),
    status: (args) => void act(args),
  };
}

function configVersionOf(stdin: string | Buffer): unknown {
  try {
    const v = (JSON.parse(String(stdin)) as { cniVersion?: unknown }).cniVersion;
    return v === undefined || v === "" ? "0.1.0" : v;
  } catch {
    return undefined;
  }
}

describe("dispatch under random input", () => {
  it("always ends in exit 0 with a valid answer or exit 1 with exactly one error object", async () => {
    const seen = new Map<string, number>();
    const tally = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(
        envArb,
        stdinArb,
        behaviourArb,
        fc.jsonValue(),
        fc.oneof({ weight: 3, arbitrary: fc.constant([...SPEC_VERSIONS]) }, { weight: 1, arbitrary: fc.subarray([...SPEC_VERSIONS], { minLength: 1 }) }),
        async (env, stdin, behaviour, randomResult, versions) => {
          let stdout = "";
          let writes = 0;
          const status = await dispatch(noopLike(behaviour, randomResult, versions), {
            env,
            stdin,
            stdout: (c) => {
              stdout += c;
              writes++;
            },
            stderr: () => {},
          });
          expect([0, 1]).toContain(status);
          expect(writes).toBeLessThanOrEqual(1);
          expect(stdout).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
          if (status === 1) {
            const error = JSON.parse(stdout) as Record<string, unknown>;
            expect(Object.keys(error).every((k) => ERROR_KEYS.has(k))).toBe(true);
            expect(Number.isInteger(error.code) && (error.code as number) >= 0).toBe(true);
            expect(typeof error.msg).toBe("string");
            expect(error.details === undefined || typeof error.details === "string").toBe(true);
            expect(versions).toContain(error.cniVersion);
            tally(`error ${error.code}`);
            return;
          }
          const verb = env.CNI_COMMAND;
          tally(`ok ${verb || "about"}`);
          if (!verb || verb === "DEL" || verb === "CHECK" || verb === "GC" || verb === "STATUS") {
            expect(stdout).toBe("");
          } else if (verb === "VERSION") {
            const answer = JSON.parse(stdout) as { cniVersion: string; supportedVersions: string[] };
            expect(answer.supportedVersions).toEqual(versions);
            expect(versions).toContain(answer.cniVersion);
          } else {
            expect(verb).toBe("ADD");
            const result = JSON.parse(stdout) as { cniVersion: string };
            expect(result.cniVersion).toBe(configVersionOf(stdin));
            expect(() => parseResult(result)).not.toThrow();
          }
        },
      ),
      { numRuns: 3000 },
    );
    console.info(`outcomes: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    // The generators must reach every outcome, or the property proves little.
    for (const key of ["ok ADD", "ok DEL", "ok CHECK", "ok GC", "ok STATUS", "ok VERSION", "ok about"]) {
      expect(seen.get(key) ?? 0, key).toBeGreaterThan(0);
    }
    for (const code of [1, 4, 6, 7, 8, 11, 999]) expect(seen.get(`error ${code}`) ?? 0, `error ${code}`).toBeGreaterThan(0);
  });

  it("VERSION answers whatever the environment and stdin hold", async () => {
    await fc.assert(
      fc.asyncProperty(envArb, stdinArb, async (env, stdin) => {
        let stdout = "";
        const status = await dispatch(noopLike("ok", undefined, SPEC_VERSIONS), {
          env: { ...env, CNI_COMMAND: "VERSION" },
          stdin,
          stdout: (c) => {
            stdout += c;
          },
          stderr: () => {},
        });
        expect(status).toBe(0);
        expect(JSON.parse(stdout)).toMatchObject({ supportedVersions: [...SPEC_VERSIONS] });
      }),
      { numRuns: 300 },
    );
  });
});
