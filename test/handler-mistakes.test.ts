/**
 * Handler mistakes that used to reach a runtime as success (issue 9, A 1-3):
 * a plugin making each one on purpose, bundled with cni-bundle and exec'ed
 * with `env -i` for ADD, CHECK and DEL. Every mistake is one error object,
 * code 999, naming the verb, with exit status 1; correct code (a failure
 * awaited and handled) still succeeds.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildExecutable } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const work = mkdtempSync(join(tmpdir(), "tscni-handler-mistakes-"));
const binary = join(work, "mistakes");
/** A "plugin" that takes longer than the fixture's 300 ms bound for pending work. */
const slowPlugin = join(work, "slow");
const nodeDir = dirname(process.execPath);

beforeAll(async () => {
  await buildExecutable({ entry: join(import.meta.dirname, "fixtures/handler-mistakes/plugin.ts"), outFile: binary });
  writeFileSync(slowPlugin, "#!/bin/sh\nexec sleep 2\n");
  chmodSync(slowPlugin, 0o755);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Exec {
  status: number | null;
  stdout: string;
  stderr: string;
}

function exec(verb: string, mistake: string): Promise<Exec> {
  const env = {
    PATH: `${nodeDir}:/usr/sbin:/usr/bin:/sbin:/bin`,
    CNI_COMMAND: verb,
    CNI_CONTAINERID: "mistakes-1",
    CNI_NETNS: "/var/run/netns/tscni-handler-mistakes-never-created",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/nonexistent",
  };
  const stdin = JSON.stringify({ cniVersion: "1.0.0", name: "mistakes", type: "mistakes", mistake, slowPlugin });
  const child = spawn("env", ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), binary], { stdio: ["pipe", "pipe", "pipe"], timeout: 20_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.on("error", () => {});
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

/** The one error object on stdout; fails the test on anything else. */
function errorObject(r: Exec): { cniVersion: string; code: number; msg: string } {
  expect(r.status, r.stderr).toBe(1);
  const doc = JSON.parse(r.stdout) as { cniVersion: string; code: number; msg: string };
  expect(doc).toMatchObject({ cniVersion: "1.0.0", code: 999 });
  return doc;
}

const VERBS = ["ADD", "CHECK", "DEL"];

describe.each(VERBS)("%s", (verb) => {
  it("a missing await on an `ip` run that fails is error 999 saying a promise was not awaited", async () => {
    const doc = errorObject(await exec(verb, "unawaited-ip"));
    // Exec mode: the dropped promise's rejection reaches the process first; a host running several invocations
    // learns it from the work scope ("the handler returned while work it started was still running, and ...").
    expect(doc.msg).toMatch(new RegExp(`^${verb}: a promise was not awaited[,:] .*failed: `));
    expect(doc.msg).toContain("nosuchdev0");
  });

  it("a missing await on a delegate exec still running at the bound is error 999", async () => {
    const doc = errorObject(await exec(verb, "unawaited-slow-exec"));
    expect(doc.msg).toBe(`${verb}: a promise was not awaited: work the handler started was still running 300 ms after it returned`);
  });

  it("a plain floating promise that rejects after the handler returned is error 999", async () => {
    const doc = errorObject(await exec(verb, "floating-plain"));
    expect(doc.msg).toMatch(new RegExp(`^${verb}: a promise was not awaited, and it failed: ENOENT`));
  });

  it("a handler promise that never settles is error 999 saying it never finished", async () => {
    const doc = errorObject(await exec(verb, "never-settles"));
    expect(doc.msg).toMatch(new RegExp(`^${verb}: the handler never finished`));
  });

  it.each([0, 3])("process.exit(%i) in the handler is error 999 naming the call, exit status 1", async (code) => {
    const doc = errorObject(await exec(verb, `process-exit-${code}`));
    expect(doc.msg).toBe(`${verb}: process.exit(${code}) was called before the answer was written`);
  });

  it("a failure that is awaited and handled is not a mistake: the verb succeeds", async () => {
    const r = await exec(verb, "awaited-and-caught");
    expect(r.status, r.stderr).toBe(0);
    if (verb === "ADD") expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.9/16" }] });
    else expect(r.stdout).toBe("");
  });
});
