/**
 * The work guard against generated handlers: random sequences of awaited work
 * (succeeding, or failing and handled), then work dropped without `await`
 * (succeeding or failing, quickly or past the bound), then a return or a
 * throw, for every verb. The answer must be exactly what the model says:
 * the handler's own error first, then a dropped failure, then dropped work
 * outlasting the bound, else success, and always one document, 999 for a
 * mistake, nothing on stdout for a successful non-ADD verb.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { definePlugin } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { trackWork } from "@tscni/types/work";
import { configFor, envFor } from "./helpers.js";

const BOUND_MS = 60;
const after = (ms: number, fail: boolean): Promise<void> =>
  new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error(`work failed after ${ms} ms`)) : resolve()), ms));

interface Program {
  awaited: { ms: number; fail: boolean }[];
  dropped: { ms: number; fail: boolean }[];
  throws: boolean;
}

const program: fc.Arbitrary<Program> = fc.record({
  awaited: fc.array(fc.record({ ms: fc.integer({ min: 0, max: 5 }), fail: fc.boolean() }), { maxLength: 3 }),
  // Started last, settling after the handler returned (>= 1 ms); some past the bound.
  dropped: fc.array(fc.record({ ms: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(BOUND_MS + 200)), fail: fc.boolean() }), { maxLength: 3 }),
  throws: fc.boolean(),
});

function expected(p: Program, verb: string): { exitCode: number; msg?: string | RegExp } {
  if (p.throws) return { exitCode: 1, msg: "handler's own error" };
  const settled = p.dropped.filter((d) => d.ms < BOUND_MS);
  if (settled.some((d) => d.fail)) return { exitCode: 1, msg: new RegExp(`^${verb}: a promise was not awaited: the handler returned while work it started was still running, and that work failed: work failed after \\d+ ms$`) };
  if (settled.length < p.dropped.length) return { exitCode: 1, msg: `${verb}: a promise was not awaited: work the handler started was still running ${BOUND_MS} ms after it returned` };
  return { exitCode: 0 };
}

describe("the work guard, generated handlers", () => {
  it("answers exactly as the model says, for ADD, CHECK and DEL", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.constantFrom("ADD", "CHECK", "DEL"), async (p, verb) => {
        const handle = async () => {
          for (const step of p.awaited) await trackWork(after(step.ms, step.fail)).catch(() => undefined);
          // The mistake under test; the trailing catch only keeps this test process free of unhandled rejections.
          for (const step of p.dropped) void trackWork(after(step.ms, step.fail)).catch(() => undefined);
          if (p.throws) throw new Error("handler's own error");
        };
        const plugin = definePlugin({
          add: async () => {
            await handle();
            return { ips: [{ address: "169.254.5.5/16" }] };
          },
          del: handle,
          check: handle,
          pendingWorkTimeoutMs: BOUND_MS,
        });
        const run = await runPlugin(plugin, { env: envFor(verb), stdin: configFor("1.0.0") });
        const want = expected(p, verb);
        expect(run.exitCode).toBe(want.exitCode);
        if (want.exitCode === 0) {
          if (verb === "ADD") expect(run.json).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.5.5/16" }] });
          else expect(run.stdout).toBe("");
          return;
        }
        const error = run.json as { code: number; msg: string };
        expect(error.code).toBe(999);
        if (typeof want.msg === "string") expect(error.msg).toBe(want.msg);
        else expect(error.msg).toMatch(want.msg as RegExp);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
