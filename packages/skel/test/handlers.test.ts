/** Handlers: results going out, missing handlers, the own-netns guard, VERSION's optional stdin. */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dispatch } from "@tscni/skel/internal";
import { runPlugin } from "@tscni/skel/testing";
import { pluginSupports } from "@tscni/version";
import { configFor, envFor, errorOf, recorder } from "./helpers.js";

describe("ADD results", () => {
  it("a result carrying an older cniVersion is converted from there", async () => {
    const { plugin } = recorder({
      add: () => ({ cniVersion: "0.4.0", ips: [{ version: "4", address: "169.254.9.9/16" }], dns: {} }),
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(run.json).toEqual({ cniVersion: "1.1.0", ips: [{ address: "169.254.9.9/16" }] });
  });

  it("a 0.2.0-shaped result without cniVersion is recognised by its shape", async () => {
    const { plugin } = recorder({ add: () => ({ ip4: { ip: "169.254.9.9/16" } }) as never });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("0.4.0") });
    expect(run.json).toMatchObject({ cniVersion: "0.4.0", ips: [{ version: "4", address: "169.254.9.9/16" }] });
  });

  it("a 1.0.0 result is printed in the config's version", async () => {
    const { plugin } = recorder({ add: () => ({ cniVersion: "1.0.0", ips: [{ address: "fd00::9/64" }] }) });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("0.3.1") });
    expect(run.json).toMatchObject({ cniVersion: "0.3.1", ips: [{ version: "6", address: "fd00::9/64" }] });
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["an array", []],
    ["a string", "ok"],
  ])("ADD returning %s is code 999", async (_name, value) => {
    const { plugin } = recorder({ add: () => value as never });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 999, msg: "the ADD handler returned no result" });
  });

  it("an invalid result is the plugin's bug: code 999 naming the field", async () => {
    const { plugin } = recorder({ add: () => ({ ips: [{ address: "999.1.1.1/8" }] }) });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    const error = errorOf(run.json);
    expect(error.code).toBe(999);
    expect(`${error.msg} ${error.details}`).toContain("999.1.1.1/8");
  });

  it("an invalid old-version result is code 999 too", async () => {
    const { plugin } = recorder({ add: () => ({ cniVersion: "0.2.0", ip4: { ip: "nope" } }) });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("0.2.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 999 });
    expect(errorOf(run.json).msg).toContain("invalid result");
  });

  it("a thrown non-Error value is code 999 with its text", async () => {
    const { plugin } = recorder({
      add: () => {
        throw "plain string";
      },
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 999, msg: "plain string" });
  });

  it("an async handler is awaited", async () => {
    const { plugin } = recorder({
      add: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return { ips: [{ address: "169.254.4.4/16" }] };
      },
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(run.json).toEqual({ cniVersion: "1.1.0", ips: [{ address: "169.254.4.4/16" }] });
  });
});

describe("missing handlers", () => {
  it.each([
    ["CHECK", "check"],
    ["GC", "gc"],
    ["STATUS", "status"],
  ] as const)("%s without a handler succeeds silently with one line on stderr", async (verb, key) => {
    const { plugin } = recorder({ [key]: undefined });
    const run = await runPlugin(plugin, { env: envFor(verb), stdin: configFor("1.1.0") });
    expect(run).toMatchObject({ exitCode: 0, stdout: "" });
    expect(run.stderr).toBe(`CNI_COMMAND=${verb} is not implemented by this plugin; reporting success\n`);
  });

  it("a plugin without ADD (a JavaScript caller's mistake) fails with code 999", async () => {
    const { plugin } = recorder({ add: undefined as never });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 999, msg: "the plugin has no ADD handler" });
  });

  it("a plugin with an empty version list fails with code 999 and the SDK's newest version", async () => {
    const { plugin } = recorder({ versions: [] });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0") });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 999, msg: "the plugin declares no supported CNI versions" });
  });
});

describe("the plugin's own network namespace as CNI_NETNS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tscni-skel-netns-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["ADD", "DEL", "CHECK"])("%s is refused with code 8 before the handler runs", async (verb) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor(verb, { CNI_NETNS: "/proc/self/ns/net" }), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
    expect(calls).toHaveLength(0);
  });

  it("another path to the same namespace is refused too", async () => {
    const link = join(dir, "own");
    symlinkSync(`/proc/${process.pid}/ns/net`, link);
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_NETNS: link }), stdin: configFor("1.1.0") });
    expect(errorOf(run.json).code).toBe(8);
  });

  it.each(["1", "true", "TRUE", "True"])("CNI_NETNS_OVERRIDE=%s lets it through", async (value) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, {
      env: envFor("ADD", { CNI_NETNS: "/proc/self/ns/net", CNI_NETNS_OVERRIDE: value }),
      stdin: configFor("1.1.0"),
    });
    expect(run.exitCode).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it.each(["0", "yes", "false"])("CNI_NETNS_OVERRIDE=%s does not", async (value) => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, {
      env: envFor("ADD", { CNI_NETNS: "/proc/self/ns/net", CNI_NETNS_OVERRIDE: value }),
      stdin: configFor("1.1.0"),
    });
    expect(errorOf(run.json).code).toBe(8);
  });

  it("a nonexistent or empty namespace path passes (DEL after the container is gone)", async () => {
    const { plugin, calls } = recorder();
    await runPlugin(plugin, { env: envFor("DEL", { CNI_NETNS: join(dir, "gone") }), stdin: configFor("1.1.0") });
    await runPlugin(plugin, { env: envFor("DEL", { CNI_NETNS: "" }), stdin: configFor("1.1.0") });
    expect(calls).toHaveLength(2);
  });

  it("a different existing file passes", async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_NETNS: "/proc/1/ns/mnt" }), stdin: configFor("1.1.0") });
    expect(run.exitCode).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it("GC and STATUS are not guarded (they have no namespace)", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("GC", { CNI_NETNS: "/proc/self/ns/net" }), stdin: configFor("1.1.0") });
    expect(run.exitCode).toBe(0);
  });

  it("failing to read its own namespace is code 8", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, {
      env: envFor("ADD", { CNI_NETNS: "/proc/self/ns/net" }),
      stdin: configFor("1.1.0"),
      ownNetnsPath: join(dir, "no-such-ns"),
    });
    expect(errorOf(run.json)).toMatchObject({ code: 8, msg: "get plugin's netns failed" });
  });
});

describe("VERSION", () => {
  const { plugin } = recorder({ versions: pluginSupports("0.3.1", "0.4.0", "1.0.0") });

  it("needs no stdin at all", async () => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" } });
    expect(run.json).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.3.1", "0.4.0", "1.0.0"] });
    expect(run.stdout).toBe('{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}\n');
  });

  it("answers even when stdin never ends, after a short wait, and aborts the read", async () => {
    let aborted = false;
    const run = await runPlugin(plugin, {
      env: { CNI_COMMAND: "VERSION" },
      stdin: ({ signal } = {}) =>
        new Promise<Buffer>(() => {
          signal?.addEventListener("abort", () => {
            aborted = true;
          });
        }),
    });
    expect(run.json).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.3.1", "0.4.0", "1.0.0"] });
    expect(aborted).toBe(true);
  });

  it("a failing stdin is no error", async () => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: () => Promise.reject(new Error("EBADF")) });
    expect(run.exitCode).toBe(0);
  });

  it.each([
    ["garbage", "1.0.0"],
    ['{"cniVersion":"0.4.0"}', "0.4.0"],
    ['{"cniVersion":"1.1.0"}', "1.0.0"],
    ['{"cniVersion":5}', "1.0.0"],
  ])("stdin %j answers cniVersion %s", async (stdin, answer) => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin });
    expect(run).toMatchObject({ exitCode: 0, json: { cniVersion: answer } });
  });

  it("ignores every other variable, even invalid ones", async () => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION", CNI_IFNAME: "a/b", CNI_CONTAINERID: "!" } });
    expect(run.exitCode).toBe(0);
  });
});

describe("dispatch itself", () => {
  it("a stdout that throws still yields exit 1 and never a throw", async () => {
    const { plugin } = recorder();
    let stderr = "";
    const status = await dispatch(plugin, {
      env: envFor("ADD"),
      stdin: configFor("1.1.0"),
      stdout: () => {
        throw new Error("EPIPE");
      },
      stderr: (c) => {
        stderr += c;
      },
    });
    expect(status).toBe(1);
    expect(stderr).toContain("cannot write to stdout: EPIPE");
  });
});
