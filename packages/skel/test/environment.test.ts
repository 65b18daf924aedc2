/** The CNI_* environment rules: Go's order and wording, with CNI_PATH required for GC only. */
import { describe, expect, it } from "vitest";
import { requiredVariables } from "@tscni/skel/internal";
import { runPlugin } from "@tscni/skel/testing";
import { configFor, envFor, errorOf, recorder } from "./helpers.js";

const CONFIG = configFor("1.1.0");

describe("missing variables", () => {
  it.each([
    ["ADD", "[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME]"],
    ["CHECK", "[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME]"],
    ["DEL", "[CNI_CONTAINERID,CNI_IFNAME]"],
    ["GC", "[CNI_PATH]"],
  ])("%s without anything but CNI_COMMAND reports %s together, code 4", async (verb, list) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: verb }, stdin: CONFIG });
    expect(run.exitCode).toBe(1);
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 4, msg: `required env variables ${list} missing` });
    expect(calls).toHaveLength(0);
  });

  it("an empty value counts as missing", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_NETNS: "", CNI_IFNAME: "" }), stdin: CONFIG });
    expect(errorOf(run.json).msg).toBe("required env variables [CNI_NETNS,CNI_IFNAME] missing");
  });

  it.each(["ADD", "CHECK", "DEL", "STATUS"])("CNI_PATH is optional for %s (spec; Go requires it)", async (verb) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor(verb, { CNI_PATH: undefined }), stdin: CONFIG });
    expect(run.exitCode).toBe(0);
    expect(calls[0]!.path).toEqual([]);
  });

  it("STATUS and VERSION need only CNI_COMMAND", async () => {
    const { plugin } = recorder();
    expect((await runPlugin(plugin, { env: { CNI_COMMAND: "STATUS" }, stdin: CONFIG })).exitCode).toBe(0);
    expect((await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" } })).exitCode).toBe(0);
  });

  it("the table is exported for documentation", () => {
    expect(requiredVariables("ADD")).toEqual(["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]);
    expect(requiredVariables("DEL")).toEqual(["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME"]);
    expect(requiredVariables("GC")).toEqual(["CNI_COMMAND", "CNI_PATH"]);
    expect(requiredVariables("VERSION")).toEqual(["CNI_COMMAND"]);
  });
});

describe("container ID", () => {
  it.each(["a", "0", "abc-DEF_1.2", "x".repeat(300)])("accepts %s", async (id) => {
    const { plugin } = recorder();
    expect((await runPlugin(plugin, { env: envFor("ADD", { CNI_CONTAINERID: id }), stdin: CONFIG })).exitCode).toBe(0);
  });

  it.each(["-abc", "_abc", ".abc", "a b", "a/b", "a:b", "ü", "a\nb"])("rejects %j with code 4 and the value in details", async (id) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("DEL", { CNI_CONTAINERID: id }), stdin: CONFIG });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 4, msg: "invalid characters in containerID", details: id });
    expect(calls).toHaveLength(0);
  });

  it("is not validated for GC and STATUS, which do not use it", async () => {
    const { plugin } = recorder();
    for (const verb of ["GC", "STATUS"]) {
      const run = await runPlugin(plugin, { env: envFor(verb, { CNI_CONTAINERID: "not valid!", CNI_IFNAME: "a/b" }), stdin: CONFIG });
      expect(run.exitCode).toBe(0);
    }
  });
});

describe("interface name", () => {
  it.each(["eth0", "abcdefghijklmno", "net1.100", "üüüüüüü", "a-b_c@d"])("accepts %j", async (name) => {
    const { plugin, calls } = recorder();
    expect((await runPlugin(plugin, { env: envFor("ADD", { CNI_IFNAME: name }), stdin: CONFIG })).exitCode).toBe(0);
    expect(calls[0]!.ifName).toBe(name);
  });

  it.each([
    ["abcdefghijklmnop", "interface name is too long", "interface name should be less than 16 characters"],
    // 8 characters, 16 bytes: the kernel limit is bytes.
    ["üüüüüüüü", "interface name is too long", "interface name should be less than 16 characters"],
    [".", "interface name is . or ..", undefined],
    ["..", "interface name is . or ..", undefined],
    ["a/b", "interface name contains / or : or whitespace characters", undefined],
    ["a:b", "interface name contains / or : or whitespace characters", undefined],
    ["a b", "interface name contains / or : or whitespace characters", undefined],
    ["a\tb", "interface name contains / or : or whitespace characters", undefined],
    ["a\u00a0b", "interface name contains / or : or whitespace characters", undefined],
    ["a\u0085b", "interface name contains / or : or whitespace characters", undefined],
    ["a\u3000b", "interface name contains / or : or whitespace characters", undefined],
  ])("rejects %j: %s", async (name, msg, details) => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("CHECK", { CNI_IFNAME: name }), stdin: CONFIG });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 4, msg, ...(details && { details }) });
  });

  it("U+FEFF is not whitespace for Go, so it is allowed", async () => {
    const { plugin } = recorder();
    expect((await runPlugin(plugin, { env: envFor("ADD", { CNI_IFNAME: "a\ufeffb" }), stdin: CONFIG })).exitCode).toBe(0);
  });

  it("an invalid value is reported before the missing ones (Go's order)", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "ADD", CNI_IFNAME: "a/b" }, stdin: CONFIG });
    expect(errorOf(run.json).msg).toBe("interface name contains / or : or whitespace characters");
  });
});

describe("CNI_COMMAND", () => {
  it("unset: the about text and the versions on stderr, nothing on stdout, exit 0", async () => {
    const { plugin } = recorder({ about: "CNI recorder plugin v1.2.3", versions: ["0.4.0", "1.0.0"] });
    const run = await runPlugin(plugin, { env: {} });
    expect(run).toMatchObject({ exitCode: 0, stdout: "" });
    expect(run.stderr).toBe("CNI recorder plugin v1.2.3\nCNI protocol versions supported: 0.4.0, 1.0.0\n");
  });

  it("unset without an about text: a default one", async () => {
    const { plugin } = recorder({ name: "recorder" });
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "" } });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/^CNI recorder plugin.*\nCNI protocol versions supported: 0\.1\.0, .*1\.1\.0\n$/);
  });

  it.each(["NOPE", "add", "Add", "version"])("%s is code 4 unknown CNI_COMMAND, after stdin was read", async (verb) => {
    const { plugin, calls } = recorder();
    let read = false;
    const run = await runPlugin(plugin, {
      env: { CNI_COMMAND: verb },
      stdin: async () => {
        read = true;
        return Buffer.from("not even json");
      },
    });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 4, msg: `unknown CNI_COMMAND: ${verb}` });
    expect(read).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it("__proto__ and other object keys are unknown verbs too", async () => {
    const { plugin } = recorder();
    for (const verb of ["__proto__", "constructor", "toString"]) {
      const run = await runPlugin(plugin, { env: { CNI_COMMAND: verb }, stdin: CONFIG });
      expect(errorOf(run.json)).toMatchObject({ code: 4, msg: `unknown CNI_COMMAND: ${verb}` });
    }
  });
});
