/** The process binding under pluginMain, driven with stand-in streams. */
import { describe, expect, it } from "vitest";
import { runOnHost } from "../src/plugin-main.js";
import type { Host } from "../src/plugin-main.js";
import { configFor, envFor, recorder } from "./helpers.js";

type Writer = Host["stdout"]["write"];

function fakeHost(env: Record<string, string | undefined>, stdin: string) {
  const out = { stdout: [] as string[], stderr: [] as string[], status: undefined as number | undefined };
  const host: Host = {
    env,
    stdin,
    stdout: {
      write: ((chunk: string | Uint8Array, a?: unknown, b?: unknown) => {
        out.stdout.push(String(chunk));
        const cb = typeof a === "function" ? a : b;
        if (typeof cb === "function") queueMicrotask(() => (cb as () => void)());
        return true;
      }) as Writer,
      once: () => undefined,
    },
    stderr: {
      write: ((chunk: string | Uint8Array) => {
        out.stderr.push(String(chunk));
        return true;
      }) as Writer,
    },
    finish: (status) => {
      out.status = status;
    },
  };
  return { host, out };
}

describe("runOnHost", () => {
  it("sends the handler's stdout writes to stderr and writes the one document to the real stdout", async () => {
    let host!: Host;
    const { plugin } = recorder({
      add: () => {
        host.stdout.write("stray output from a dependency\n");
        return { ips: [{ address: "169.254.7.7/16" }] };
      },
    });
    const fake = fakeHost(envFor("ADD"), configFor("1.0.0"));
    host = fake.host;
    await runOnHost(plugin, host);
    expect(fake.out.stdout).toHaveLength(1);
    expect(JSON.parse(fake.out.stdout[0]!)).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.7.7/16" }] });
    expect(fake.out.stderr).toEqual(["stray output from a dependency\n"]);
    expect(fake.out.status).toBe(0);
  });

  it("keeps stdout redirected after the answer (a leaked timer cannot print a second document)", async () => {
    const { plugin } = recorder();
    const fake = fakeHost(envFor("DEL"), configFor("1.0.0"));
    await runOnHost(plugin, fake.host);
    fake.host.stdout.write("late\n");
    expect(fake.out.stdout).toEqual([]);
    expect(fake.out.stderr).toEqual(["late\n"]);
    expect(fake.out.status).toBe(0);
  });

  it("reports a failure with status 1 and the error document", async () => {
    const { plugin } = recorder();
    const fake = fakeHost({ CNI_COMMAND: "BOGUS" }, "");
    await runOnHost(plugin, fake.host);
    expect(JSON.parse(fake.out.stdout[0]!)).toMatchObject({ code: 4, msg: "unknown CNI_COMMAND: BOGUS" });
    expect(fake.out.status).toBe(1);
  });

  it("writes the about text to stderr only", async () => {
    const { plugin } = recorder({ about: "about me" });
    const fake = fakeHost({}, "");
    await runOnHost(plugin, fake.host);
    expect(fake.out.stdout).toEqual([]);
    expect(fake.out.stderr.join("")).toMatch(/^about me\n/);
    expect(fake.out.status).toBe(0);
  });
});
