/**
 * examples/noop bundled with esbuild into one CommonJS file and exec'ed the
 * way a runtime execs a plugin: `env -i`, CNI_* variables, config on stdin.
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SPEC_VERSIONS, parseResult } from "@tscni/types";

const root = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "tscni-noop-bundle-"));
const binary = join(work, "noop");
let bundleBytes = 0;
let bundleInputs: string[] = [];

/** `env -i` finds node through its default search path; add PATH only when node lives elsewhere. */
const nodeDir = dirname(process.execPath);
const needsPath = !["/bin", "/usr/bin"].includes(nodeDir);

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the bundle with only `vars` in its environment. `stdin` is written and
 * closed; "open" leaves the pipe open (a runtime that never closes it); a
 * `{ file }` passes a regular file as fd 0.
 */
function exec(vars: Record<string, string>, stdin: string | "open" | { file: string } = ""): Promise<Exec> {
  const assignments = Object.entries({ ...(needsPath && { PATH: nodeDir }), ...vars }).map(([k, v]) => `${k}=${v}`);
  const fd = typeof stdin === "object" ? openSync(stdin.file, "r") : undefined;
  const child = spawn("env", ["-i", ...assignments, binary], {
    stdio: [fd ?? "pipe", "pipe", "pipe"],
    // A hang would be a bug; kill it so the test fails instead of timing out silently.
    timeout: 20_000,
  });
  if (fd !== undefined) closeSync(fd);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  if (typeof stdin === "string" && child.stdin) child.stdin.end(stdin);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const attachment = { CNI_CONTAINERID: "ctr-9", CNI_NETNS: "/var/run/netns/tscni-noop-nonexistent", CNI_IFNAME: "eth0", CNI_PATH: "/opt/cni/bin" };

function config(version: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion: version, name: "noopnet", type: "noop", ...extra });
}

beforeAll(async () => {
  const result = await build({
    entryPoints: [join(root, "examples/noop/src/main.ts")],
    outfile: binary,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    conditions: ["source"],
    banner: { js: "#!/usr/bin/env node" },
    legalComments: "none",
    logLevel: "error",
    metafile: true,
  });
  chmodSync(binary, 0o755);
  const output = Object.values(result.metafile.outputs)[0]!;
  bundleBytes = output.bytes;
  bundleInputs = Object.keys(output.inputs).map((p) => relative(root, join(process.cwd(), p)));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the noop bundle", () => {
  it("stays small and carries no runtime-side or namespace code", () => {
    console.info(`noop bundle: ${bundleBytes} bytes (${(bundleBytes / 1024).toFixed(1)} KiB)`);
    expect(bundleBytes).toBeLessThan(150 * 1024);
    expect(bundleInputs.some((p) => p.startsWith("packages/skel/src/"))).toBe(true);
    for (const forbidden of ["packages/invoke/", "packages/libcni/", "packages/netns/", "zod/v4/classic/", "zod/v4/locales/"]) {
      expect(bundleInputs.filter((p) => p.includes(forbidden))).toEqual([]);
    }
  });

  it("without CNI_COMMAND prints the about text and versions on stderr and exits 0", async () => {
    const run = await exec({});
    expect(run).toMatchObject({ code: 0, stdout: "" });
    expect(run.stderr).toBe(`CNI noop plugin (tscni example) v0.1.0\nCNI protocol versions supported: ${SPEC_VERSIONS.join(", ")}\n`);
  });

  it("answers VERSION without stdin, and while a runtime keeps stdin open", async () => {
    const closed = await exec({ CNI_COMMAND: "VERSION" });
    expect(closed).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(closed.stdout)).toEqual({ cniVersion: "1.1.0", supportedVersions: [...SPEC_VERSIONS] });
    const open = await exec({ CNI_COMMAND: "VERSION" }, "open");
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toEqual({ cniVersion: "1.1.0", supportedVersions: [...SPEC_VERSIONS] });
    const asked = await exec({ CNI_COMMAND: "VERSION" }, '{"cniVersion":"0.3.1"}');
    expect(JSON.parse(asked.stdout).cniVersion).toBe("0.3.1");
  });

  it("speaks only the versions NOOP_SUPPORTED_VERSIONS lists", async () => {
    const version = await exec({ CNI_COMMAND: "VERSION", NOOP_SUPPORTED_VERSIONS: "0.4.0,1.0.0" });
    expect(JSON.parse(version.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] });
    const add = await exec({ CNI_COMMAND: "ADD", ...attachment, NOOP_SUPPORTED_VERSIONS: "0.4.0,1.0.0" }, config("1.1.0"));
    expect(add.code).toBe(1);
    expect(JSON.parse(add.stdout)).toEqual({
      cniVersion: "1.0.0",
      code: 1,
      msg: "incompatible CNI versions",
      details: 'config is "1.1.0", plugin supports ["0.4.0" "1.0.0"]',
    });
  });

  describe.each(["0.2.0", "0.4.0", "1.1.0"])("at cniVersion %s", (version) => {
    it("ADD prints one result in the config's version, exit 0", async () => {
      const run = await exec({ CNI_COMMAND: "ADD", ...attachment }, config(version));
      expect(run).toMatchObject({ code: 0, stderr: "" });
      const result = JSON.parse(run.stdout);
      expect(result.cniVersion).toBe(version);
      if (version === "0.2.0") expect(result.ip4).toEqual({ ip: "169.254.0.2/16" });
      else expect(result.ips[0].address).toBe("169.254.0.2/16");
    });

    it("ADD with passthrough echoes prevResult converted to the config's version", async () => {
      const prevResult = { cniVersion: "1.0.0", ips: [{ address: "169.254.8.8/16", gateway: "169.254.0.1" }] };
      const run = await exec({ CNI_COMMAND: "ADD", ...attachment }, config(version, { passthrough: true, prevResult }));
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout);
      expect(result.cniVersion).toBe(version);
      expect(JSON.stringify(result)).toContain("169.254.8.8/16");
    });

    it("DEL prints nothing, exit 0", async () => {
      const run = await exec({ CNI_COMMAND: "DEL", ...attachment, CNI_NETNS: "" }, config(version));
      expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
    });
  });

  it("ADD returns the result set in its config", async () => {
    const result = { cniVersion: "1.1.0", interfaces: [{ name: "eth0", mtu: 9000 }], ips: [{ interface: 0, address: "fd00::7/64" }] };
    const run = await exec({ CNI_COMMAND: "ADD", ...attachment }, config("1.1.0", { result }));
    expect(JSON.parse(run.stdout)).toEqual(result);
  });

  it.each(["CHECK", "GC", "STATUS"])("%s at 1.1.0 prints nothing, exit 0", async (verb) => {
    const vars = verb === "CHECK" ? { CNI_COMMAND: verb, ...attachment } : { CNI_COMMAND: verb, CNI_PATH: "/opt/cni/bin" };
    const run = await exec(vars, config("1.1.0", { "cni.dev/valid-attachments": [] }));
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("GC at 1.0.0 is refused with code 1 on stdout, exit 1", async () => {
    const run = await exec({ CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" }, config("1.0.0"));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ cniVersion: "1.0.0", code: 1, msg: "config version does not allow GC" });
  });

  it("console.log inside a handler lands on stderr; stdout holds only the result", async () => {
    const run = await exec({ CNI_COMMAND: "ADD", ...attachment }, config("1.1.0", { stdoutText: "hello from the handler" }));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("hello from the handler\n");
    expect(JSON.parse(run.stdout).cniVersion).toBe("1.1.0");
    const del = await exec({ CNI_COMMAND: "DEL", ...attachment }, config("1.1.0", { stdoutText: "{\"not\":\"a result\"}" }));
    expect(del).toMatchObject({ code: 0, stdout: "", stderr: '{"not":"a result"}\n' });
  });

  it("a scripted CNI error exits 1 with exactly that error object", async () => {
    const fail = { ADD: { code: 11, msg: "try again later", details: "scripted" } };
    const run = await exec({ CNI_COMMAND: "ADD", ...attachment }, config("0.4.0", { fail }));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ cniVersion: "0.4.0", code: 11, msg: "try again later", details: "scripted" });
  });

  it("a scripted plain exception is code 999 with its message and no stack", async () => {
    const run = await exec({ CNI_COMMAND: "STATUS" }, config("1.1.0", { throw: { STATUS: "disk on fire" } }));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ cniVersion: "1.1.0", code: 999, msg: "disk on fire" });
    expect(run.stdout).not.toContain(" at ");
    expect(run.stderr).toBe("");
  });

  it("invalid input never crashes: missing variables, garbage stdin, an unknown verb", async () => {
    const missing = await exec({ CNI_COMMAND: "ADD" }, config("1.1.0"));
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 4, msg: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing" });
    const garbage = await exec({ CNI_COMMAND: "DEL", ...attachment }, "\u0000\u00ff not json");
    expect(garbage.code).toBe(1);
    expect(JSON.parse(garbage.stdout).code).toBe(6);
    const unknown = await exec({ CNI_COMMAND: "FROB" }, config("1.1.0"));
    expect(JSON.parse(unknown.stdout)).toMatchObject({ code: 4, msg: "unknown CNI_COMMAND: FROB" });
    const badConfig = await exec({ CNI_COMMAND: "DEL", ...attachment }, config("1.1.0", { fail: { DEL: { code: "x" } } }));
    expect(JSON.parse(badConfig.stdout)).toMatchObject({ code: 7, msg: "invalid network configuration" });
    expect(JSON.parse(badConfig.stdout).details).toContain("fail.DEL.code");
  });

  it("refuses its own network namespace before the handler runs, unless overridden", async () => {
    const record = join(work, "own-netns.jsonl");
    const cfg = config("1.1.0", { recordFile: record });
    const refused = await exec({ CNI_COMMAND: "ADD", ...attachment, CNI_NETNS: "/proc/self/ns/net" }, cfg);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: 8 });
    expect(() => readFileSync(record)).toThrow();
    const allowed = await exec({ CNI_COMMAND: "ADD", ...attachment, CNI_NETNS: "/proc/self/ns/net", CNI_NETNS_OVERRIDE: "1" }, cfg);
    expect(allowed.code).toBe(0);
    expect(readFileSync(record, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("records every call (verb, CNI_* environment, stdin) in its record file", async () => {
    const record = join(work, "calls.jsonl");
    const stdinFor = (verb: string) => config("1.1.0", { recordFile: record, tag: verb });
    await exec({ CNI_COMMAND: "ADD", ...attachment, CNI_ARGS: "K8S_POD_NAME=web" }, stdinFor("ADD"));
    await exec({ CNI_COMMAND: "CHECK", ...attachment }, stdinFor("CHECK"));
    await exec({ CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" }, stdinFor("GC"));
    await exec({ CNI_COMMAND: "STATUS" }, stdinFor("STATUS"));
    await exec({ CNI_COMMAND: "DEL", ...attachment }, stdinFor("DEL"));
    const lines = readFileSync(record, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.verb)).toEqual(["ADD", "CHECK", "GC", "STATUS", "DEL"]);
    expect(lines[0].env).toEqual({ CNI_COMMAND: "ADD", ...attachment, CNI_ARGS: "K8S_POD_NAME=web" });
    expect(lines[2].env).toEqual({ CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" });
    for (const line of lines) expect(line.stdin).toBe(stdinFor(line.verb));
  });

  it("reads stdin from a regular file and from a large pipe", async () => {
    const file = join(work, "config.json");
    writeFileSync(file, config("1.0.0"));
    const fromFile = await exec({ CNI_COMMAND: "ADD", ...attachment }, { file });
    expect(JSON.parse(fromFile.stdout).cniVersion).toBe("1.0.0");
    const big = config("1.0.0", { padding: "x".repeat(2 * 1024 * 1024) });
    const fromPipe = await exec({ CNI_COMMAND: "ADD", ...attachment }, big);
    expect(fromPipe.code).toBe(0);
    expect(JSON.parse(fromPipe.stdout).cniVersion).toBe("1.0.0");
  });

  it("writes its log to the file CNI_LOG_FILE names, never to stdout", async () => {
    const log = join(work, "noop.log");
    const run = await exec({ CNI_COMMAND: "ADD", ...attachment, CNI_LOG_FILE: log, CNI_LOG_LEVEL: "debug" }, config("1.1.0"));
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(readFileSync(log, "utf8")).toMatch(/ noop ADD ctr-9 debug: ADD started/);
  });

  it("random environments and stdin: exit 0 with nothing or one valid document, or exit 1 with one error object", async () => {
    // Environment values cannot hold NUL; everything else goes.
    const text = fc.string({ unit: "binary", maxLength: 24 }).map((v) => v.replaceAll("\0", ""));
    const verb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION") }, { weight: 1, arbitrary: text });
    const maybe = (valid: string) => fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: text }, { weight: 1, arbitrary: fc.constant(undefined) });
    const stdin = fc.oneof(
      fc.record({
        cniVersion: fc.constantFrom(...SPEC_VERSIONS, "9.9.9"),
        name: fc.constantFrom("noopnet", "bad name"),
        type: fc.constant("noop"),
        passthrough: fc.boolean(),
        prevResult: fc.constantFrom(undefined, { cniVersion: "0.4.0", ips: [{ version: "4", address: "169.254.5.5/16" }] }, { ips: "x" }),
        fail: fc.constantFrom(undefined, { ADD: { code: 11, msg: "m" } }, { DEL: { code: -1, msg: "m" } }),
        throw: fc.constantFrom(undefined, { CHECK: "c" }),
        stdoutText: fc.constantFrom(undefined, "noise", '{"cniVersion":"1.1.0"}'),
      }).map((c) => JSON.stringify(c)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString("latin1")),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ CNI_COMMAND: verb, CNI_CONTAINERID: maybe("ctr"), CNI_NETNS: maybe(attachment.CNI_NETNS), CNI_IFNAME: maybe("eth0"), CNI_PATH: maybe("/opt/cni/bin") }),
        stdin,
        async (vars, input) => {
          const defined = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) as Record<string, string>;
          const run = await exec(defined, input);
          expect([0, 1]).toContain(run.code);
          expect(run.stdout).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
          if (run.code === 1) {
            const error = JSON.parse(run.stdout);
            expect(Object.keys(error).every((k) => ["cniVersion", "code", "msg", "details"].includes(k))).toBe(true);
            expect(typeof error.msg).toBe("string");
            expect(Number.isInteger(error.code)).toBe(true);
            return;
          }
          if (run.stdout === "") return;
          const doc = JSON.parse(run.stdout);
          if (defined.CNI_COMMAND === "VERSION") expect(doc.supportedVersions).toEqual([...SPEC_VERSIONS]);
          else {
            expect(defined.CNI_COMMAND).toBe("ADD");
            expect(() => parseResult(doc)).not.toThrow();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
