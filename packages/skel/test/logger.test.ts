/** The logger: stderr by default, a file on request (config over env), never stdout, never fatal. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { configFor, envFor, errorOf, recorder } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tscni-skel-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loggingPlugin() {
  return recorder({
    del: (args) => {
      args.log.error("e-line");
      args.log.warn("w-line", { attempt: 2 });
      args.log.info("i-line", { netns: args.netns });
      args.log.debug("d-line");
    },
  });
}

describe("createLogger", () => {
  it("prefixes each line with time, plugin, verb and container id, and filters by level", () => {
    const lines: string[] = [];
    const log = createLogger({
      level: "info",
      plugin: "bridge",
      verb: "ADD",
      containerId: "c1",
      stderr: (l) => lines.push(l),
      now: () => new Date("2026-01-02T03:04:05.006Z"),
    });
    log.info("hello", { ip: "169.254.1.1", n: 3, obj: { a: 1 } });
    log.debug("hidden");
    expect(lines).toEqual(['2026-01-02T03:04:05.006Z bridge ADD c1 info: hello ip="169.254.1.1" n=3 obj={"a":1}\n']);
    expect(log.enabled("info")).toBe(true);
    expect(log.enabled("debug")).toBe(false);
  });

  it("defaults to warn, with placeholders for unknown prefixes", () => {
    const lines: string[] = [];
    const log = createLogger({ stderr: (l) => lines.push(l) });
    log.info("no");
    log.warn("yes");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ cni-plugin - - warn: yes\n$/);
  });

  it("survives values JSON cannot encode and a throwing stderr", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const lines: string[] = [];
    createLogger({ stderr: (l) => lines.push(l) }).warn("x", { circular, big: 10n });
    expect(lines[0]).toContain("circular=[object Object] big=10");
    const throwing = createLogger({
      stderr: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => throwing.error("lost")).not.toThrow();
  });

  it("falls back to stderr once when the file cannot be written", () => {
    const lines: string[] = [];
    const log = createLogger({ file: join(dir, "no", "such", "dir", "log"), stderr: (l) => lines.push(l) });
    log.warn("first");
    log.warn("second");
    expect(lines[0]).toContain("cannot write log file");
    expect(lines.slice(1).map((l) => l.replace(/^\S+ /, ""))).toEqual(["cni-plugin - - warn: first\n", "cni-plugin - - warn: second\n"]);
  });
});

describe("the handler's log", () => {
  it("writes warnings and errors to stderr by default, never stdout", async () => {
    const { plugin } = loggingPlugin();
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0") });
    expect(run).toMatchObject({ exitCode: 0, stdout: "" });
    expect(run.stderr).toMatch(/ recorder DEL ctr-1 error: e-line\n.* recorder DEL ctr-1 warn: w-line attempt=2\n$/);
  });

  it("CNI_LOG_FILE and CNI_LOG_LEVEL send everything to a file", async () => {
    const file = join(dir, "env.log");
    const { plugin } = loggingPlugin();
    const run = await runPlugin(plugin, { env: envFor("DEL", { CNI_LOG_FILE: file, CNI_LOG_LEVEL: "DEBUG" }), stdin: configFor("1.1.0") });
    expect(run).toMatchObject({ exitCode: 0, stdout: "", stderr: "" });
    const text = readFileSync(file, "utf8");
    for (const level of ["error: e-line", "warn: w-line", "info: i-line", "debug: d-line", "debug: DEL started"]) expect(text).toContain(level);
  });

  it("the config's logFile and logLevel win over the environment", async () => {
    const envFile = join(dir, "ignored.log");
    const file = join(dir, "config.log");
    const { plugin } = loggingPlugin();
    const run = await runPlugin(plugin, {
      env: envFor("DEL", { CNI_LOG_FILE: envFile, CNI_LOG_LEVEL: "debug" }),
      stdin: configFor("1.1.0", { logFile: file, logLevel: "info" }),
    });
    expect(run.exitCode).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("info: i-line");
    expect(text).not.toContain("d-line");
  });

  it("an unknown CNI_LOG_LEVEL is ignored; an unknown config logLevel is code 7", async () => {
    const { plugin } = loggingPlugin();
    expect((await runPlugin(plugin, { env: envFor("DEL", { CNI_LOG_LEVEL: "loud" }), stdin: configFor("1.1.0") })).exitCode).toBe(0);
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { logLevel: "loud" }) });
    expect(errorOf(run.json)).toMatchObject({ code: 7, details: 'logLevel: expected "error", "warn", "info" or "debug", got "loud"' });
  });

  it("an unwritable log file never fails the verb", async () => {
    const { plugin } = loggingPlugin();
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { logFile: "/proc/no/such/file" }) });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain("cannot write log file /proc/no/such/file");
    expect(run.stderr).toContain("w-line");
  });

  it("at debug level an unexpected error's stack goes to the log, never stdout", async () => {
    const { plugin } = recorder({
      add: () => {
        throw new Error("kaboom");
      },
    });
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_LOG_LEVEL: "debug" }), stdin: configFor("1.1.0") });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 999, msg: "kaboom" });
    expect(run.stderr).toMatch(/unexpected error: Error: kaboom\n\s+at /);
    expect(run.stdout).not.toContain("    at ");
  });
});
