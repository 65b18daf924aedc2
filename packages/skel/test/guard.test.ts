/**
 * The work guard in process, as a host running several invocations in one
 * process (the daemon) gets it: no process-wide listener is involved, the
 * work scope alone turns a missing await into the verb's error, and one
 * invocation's leftover work never shows up in another's answer.
 */
import { describe, expect, it } from "vitest";
import { definePlugin } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { trackWork } from "@tscni/types/work";
import { configFor, envFor } from "./helpers.js";

const RESULT = { ips: [{ address: "169.254.3.3/16" }] };
const later = <T>(ms: number, outcome: () => T): Promise<T> => new Promise((resolve) => setTimeout(resolve, ms)).then(outcome);
/** Stands in for SDK work (an `ip` run): registered with the invocation, then dropped by the handler. */
const failingWork = (ms: number) =>
  trackWork(
    later(ms, () => {
      throw new Error("ip link set dev nosuchdev0 mtu 1400 failed: Cannot find device");
    }),
  ).catch(() => undefined);

function errorOf(run: { exitCode: number; json: unknown }): { code: number; msg: string } {
  expect(run.exitCode).toBe(1);
  return run.json as { code: number; msg: string };
}

describe("the work guard", () => {
  it("a dropped SDK promise that fails after the handler returned is error 999 naming the verb", async () => {
    const plugin = definePlugin({
      add: () => {
        void failingWork(20);
        return RESULT;
      },
      del: () => {
        void failingWork(20);
      },
    });
    for (const verb of ["ADD", "DEL"]) {
      const error = errorOf(await runPlugin(plugin, { env: envFor(verb), stdin: configFor("1.0.0") }));
      expect(error).toEqual({
        cniVersion: "1.0.0",
        code: 999,
        msg: `${verb}: a promise was not awaited: the handler returned while work it started was still running, and that work failed: ip link set dev nosuchdev0 mtu 1400 failed: Cannot find device`,
      });
    }
  });

  it("dropped work that succeeds within the bound delays the answer but does not fail it", async () => {
    let finished = false;
    const plugin = definePlugin({
      add: () => {
        void trackWork(later(30, () => (finished = true)));
        return RESULT;
      },
      del: () => {},
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0") });
    expect(run.exitCode).toBe(0);
    expect(finished).toBe(true);
  });

  it("work still running at the bound (pendingWorkTimeoutMs) is error 999", async () => {
    const plugin = definePlugin({
      add: () => {
        void trackWork(later(2000, () => undefined));
        return RESULT;
      },
      del: () => {},
      pendingWorkTimeoutMs: 50,
    });
    const error = errorOf(await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") }));
    expect(error.msg).toBe("ADD: a promise was not awaited: work the handler started was still running 50 ms after it returned");
  });

  it("awaited work whose failure the handler handles is not a mistake", async () => {
    const plugin = definePlugin({
      add: async () => {
        await trackWork(later(5, () => Promise.reject(new Error("not found")))).catch(() => undefined);
        return RESULT;
      },
      del: () => {},
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0") });
    expect(run.exitCode).toBe(0);
    expect(run.json).toEqual({ cniVersion: "1.0.0", ...RESULT });
  });

  it("a handler's own error wins over its leftover work", async () => {
    const plugin = definePlugin({
      add: () => {
        void failingWork(10);
        throw new Error("own failure");
      },
      del: () => {},
    });
    expect(errorOf(await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0") })).msg).toBe("own failure");
  });

  it("concurrent invocations do not see each other's work", async () => {
    const sloppy = definePlugin({
      add: () => {
        void failingWork(40);
        return RESULT;
      },
      del: () => {},
    });
    const careful = definePlugin({
      add: async () => {
        await later(80, () => undefined);
        return RESULT;
      },
      del: () => {},
    });
    const [bad, good] = await Promise.all([
      runPlugin(sloppy, { env: envFor("ADD"), stdin: configFor("1.0.0") }),
      runPlugin(careful, { env: envFor("ADD"), stdin: configFor("1.0.0") }),
    ]);
    expect(errorOf(bad).code).toBe(999);
    expect(good.exitCode).toBe(0);
  });

  it("an invalid pendingWorkTimeoutMs is the verb's error, not a crash", async () => {
    const plugin = definePlugin({ add: () => RESULT, del: () => {}, pendingWorkTimeoutMs: -1 });
    const error = errorOf(await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.0.0") }));
    expect(error).toMatchObject({ code: 999, msg: "invalid plugin option" });
  });
});
