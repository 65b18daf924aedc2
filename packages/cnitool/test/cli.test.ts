import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { containerIdFor, parseCapArgs, parseCnitoolArgs } from "@tscni/cnitool";
import { skipReason } from "../../../test/support/prereq.js";
import { runIntoGonePipe, runWithClosed } from "../../../test/support/closed-output.js";
import { CNITOOL, run, runtimeEnv } from "./helpers.js";

describe("container ID and argument parsing", () => {
  it("derives the container ID from the absolute netns path as Go's cnitool does", () => {
    const expected = `cnitool-${createHash("sha512").update("/var/run/netns/test").digest("hex").slice(0, 20)}`;
    expect(containerIdFor("/var/run/netns/test")).toBe(expected);
    expect(containerIdFor("/var/run/netns/../netns/test")).toBe(expected);
    expect(expected).toHaveLength("cnitool-".length + 20);
  });

  it("parses CNI_ARGS strictly", () => {
    expect(parseCnitoolArgs("")).toEqual([]);
    expect(parseCnitoolArgs("A=1;B=two")).toEqual([
      ["A", "1"],
      ["B", "two"],
    ]);
    for (const bad of ["A", "A=", "=1", "A=1=2", "A=1;"]) expect(() => parseCnitoolArgs(bad), bad).toThrow("invalid CNI_ARGS pair");
  });

  it("accepts only a JSON object in CAP_ARGS", () => {
    expect(parseCapArgs(undefined)).toBeUndefined();
    expect(parseCapArgs('{"mac":"0a:58:a9:fe:00:05"}')).toEqual({ mac: "0a:58:a9:fe:00:05" });
    expect(() => parseCapArgs("{")).toThrow("invalid CAP_ARGS: not JSON");
    expect(() => parseCapArgs("[]")).toThrow("invalid CAP_ARGS: must be a JSON object");
    expect(() => parseCapArgs("null")).toThrow("invalid CAP_ARGS: must be a JSON object");
  });
});

const skip = skipReason({ executables: [CNITOOL] });

describe.skipIf(skip)(`the cnitool executable${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let env: Record<string, string>;
  const log = () => join(dir, "calls.log");
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-cnitool-"));
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "net.d"));
    // A plugin that records its environment and stdin, and answers ADD.
    const plugin = join(dir, "bin", "rec");
    writeFileSync(
      plugin,
      `#!/bin/sh
in=$(cat)
printf '%s|%s|%s|%s|%s|%s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$in" >> ${log()}
[ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"1.1.0","ips":[{"address":"169.254.8.2/16"}]}'
exit 0
`,
    );
    chmodSync(plugin, 0o755);
    writeFileSync(
      join(dir, "net.d", "10.conflist"),
      JSON.stringify({ cniVersion: "1.1.0", name: "net", plugins: [{ type: "rec", capabilities: { mac: true } }] }),
    );
    env = runtimeEnv({ NETCONFPATH: join(dir, "net.d"), CNI_PATH: join(dir, "bin") });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const calls = () =>
    readFileSync(log(), "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const [verb, cid, netns, ifName, args, ...stdin] = l.split("|");
        return { verb, cid, netns, ifName, args, stdin: JSON.parse(stdin.join("|")) };
      });

  it("prints usage for --help, and a usage error for missing arguments", () => {
    const help = run(CNITOOL, ["--help"], env);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: cnitool [options] add|check|del|gc|status <network-name> <netns-path>");
    expect(help.stdout).toContain("CNI_CACHE_DIR");
    const missing = run(CNITOOL, ["add", "net"], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^cnitool: expected a command, a network name and a netns path/);
    expect(run(CNITOOL, ["frobnicate", "net", "/x"], env).stderr).toMatch(/^cnitool: unknown command "frobnicate"/);
    expect(run(CNITOOL, ["--bogus", "add", "net", "/x"], env).status).toBe(1);
  });

  it("add: Go's env, container ID, runtimeConfig from CAP_ARGS, result printed with 4-space indent", () => {
    const cacheDir = join(dir, "cache");
    const r = run(CNITOOL, ["add", "net", "/run/netns/some-ctr", "--cache-dir", cacheDir], {
      ...env,
      CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=web",
      CAP_ARGS: '{"mac":"0a:58:a9:fe:00:05","portMappings":[]}',
      CNI_IFNAME: "net7",
      CNI_CONTAINERID: "inherited-must-not-leak",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ cniVersion: "1.1.0", ips: [{ address: "169.254.8.2/16" }] }, null, 4)}\n`);
    const [call] = calls();
    expect(call).toMatchObject({ verb: "ADD", cid: containerIdFor("/run/netns/some-ctr"), netns: "/run/netns/some-ctr", ifName: "net7", args: "IgnoreUnknown=1;K8S_POD_NAME=web" });
    expect(call!.stdin.runtimeConfig).toEqual({ mac: "0a:58:a9:fe:00:05" });
    expect(existsSync(join(cacheDir, "results", `net-${containerIdFor("/run/netns/some-ctr")}-net7`))).toBe(true);
  });

  it("check, del, gc, status run their verbs; CNI_CACHE_DIR places the cache", () => {
    const e = { ...env, CNI_CACHE_DIR: join(dir, "cache") };
    for (const verb of ["add", "check", "gc", "add", "del", "status"]) {
      const r = run(CNITOOL, [verb, "net", "/run/netns/x"], e);
      expect(r.status, `${verb}: ${r.stderr}`).toBe(0);
    }
    // gc DELs every cached attachment (cnitool passes no valid attachments), then sends GC.
    expect(calls().map((c) => c.verb)).toEqual(["ADD", "CHECK", "DEL", "GC", "ADD", "DEL", "STATUS"]);
    expect(calls()[1]!.stdin.prevResult).toEqual({ cniVersion: "1.1.0", ips: [{ address: "169.254.8.2/16" }] });
    expect(existsSync(join(dir, "cache", "results"))).toBe(true);
  });

  it("a conflist nested 5,000 levels deep, or naming an unusable network, does not stop another network's add", () => {
    const deep = `{"name":"deep","cniVersion":"1.1.0","plugins":[{"type":"rec","a":${"[".repeat(5000)}${"]".repeat(5000)}}]}`;
    writeFileSync(join(dir, "net.d", "01-deep.conflist"), deep);
    writeFileSync(join(dir, "net.d", "02-nul.conflist"), JSON.stringify({ name: "a\u0000b", plugins: [{ type: "rec" }] }));
    writeFileSync(join(dir, "net.d", "03-long.conflist"), JSON.stringify({ name: "n".repeat(300), plugins: [{ type: "rec" }] }));
    const r = run(CNITOOL, ["add", "net", "/run/netns/x", "--cache-dir", join(dir, "cache")], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.1.0", ips: [{ address: "169.254.8.2/16" }] });
    expect(r.stderr.split("\n")).toEqual([
      `cnitool: warning: skipping ${join(dir, "net.d", "01-deep.conflist")}: error parsing configuration list: nested deeper than 512 levels`,
      `cnitool: warning: skipping ${join(dir, "net.d", "02-nul.conflist")}: invalid characters found in network name: "a\\u0000b"`,
      `cnitool: warning: skipping ${join(dir, "net.d", "03-long.conflist")}: network name is 300 bytes long, more than 255`,
      "",
    ]);
    // Asked for by name, the deep one is an error naming its file.
    const asked = run(CNITOOL, ["add", "deep", "/run/netns/x", "--cache-dir", join(dir, "cache")], env);
    expect(asked.status).toBe(1);
    expect(asked.stderr).toBe(`cnitool: ${join(dir, "net.d", "01-deep.conflist")}: error parsing configuration list: nested deeper than 512 levels\n`);
  });

  it("a closed stdout (add | (exec 0<&-; true)): one line on stderr, no stack trace, exit 1; the ADD itself ran", async () => {
    const args = ["add", "net", "/run/netns/x", "--cache-dir", join(dir, "cache")];
    const piped = runIntoGonePipe(CNITOOL, args, env);
    expect(piped).toEqual({ status: 1, signal: null, stdout: "", stderr: "cnitool: cannot write to stdout (EPIPE): output lost\n" });
    const closed = await runWithClosed("stdout", CNITOOL, args, env);
    expect(closed).toEqual({ status: 1, signal: null, stdout: "", stderr: "cnitool: cannot write to stdout (EPIPE): output lost\n" });
    expect(calls().map((c) => c.verb)).toEqual(["ADD", "ADD"]);
  });

  it("a closed stderr or both: the exit status still tells (0 for a quiet success, 1 for a failure or lost output)", async () => {
    const cache = ["--cache-dir", join(dir, "cache")];
    expect(await runWithClosed("stderr", CNITOOL, ["del", "net", "/run/netns/x", ...cache], env)).toMatchObject({ status: 0, signal: null });
    expect(await runWithClosed("stderr", CNITOOL, ["add", "nope", "/run/netns/x", ...cache], env)).toMatchObject({ status: 1, signal: null, stdout: "" });
    expect(await runWithClosed("both", CNITOOL, ["add", "net", "/run/netns/x", ...cache], env)).toMatchObject({ status: 1, signal: null });
    expect(await runWithClosed("both", CNITOOL, ["--help"], env)).toMatchObject({ status: 1, signal: null });
  });

  it.each([
    ["a missing network", ["add", "nope", "/run/netns/x"], {}, /^cnitool: no net configuration with name "nope" in /],
    ["a bad CAP_ARGS", ["add", "net", "/run/netns/x"], { CAP_ARGS: "{nope" }, /^cnitool: invalid CAP_ARGS: not JSON/],
    ["a bad CNI_ARGS", ["add", "net", "/run/netns/x"], { CNI_ARGS: "A" }, /^cnitool: invalid CNI_ARGS pair "A"/],
    ["a missing plugin", ["add", "net", "/run/netns/x"], { CNI_PATH: "/nonexistent" }, /^cnitool: plugin type="rec" failed \(add\): failed to find plugin "rec" in path \[\/nonexistent\]/],
    ["no CNI_PATH", ["add", "net", "/run/netns/x"], { CNI_PATH: "" }, /^cnitool: plugin type="rec" failed \(add\): no paths provided/],
  ])("fails clearly on %s: text on stderr, exit 1, nothing on stdout", (_what, args, extra, message) => {
    const r = run(CNITOOL, [...args, "--cache-dir", join(dir, "cache")], { ...env, ...extra });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
