import { closeSync, existsSync, openSync, readFileSync, writeSync, chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildPluginEnv, execPlugin, execPluginWithResult, PluginExecError } from "@tscni/invoke";
import { CniError } from "@tscni/types";
import { cleanEnv, stubDir } from "./stubs.js";

async function failure(p: Promise<unknown>): Promise<PluginExecError & CniError> {
  try {
    await p;
  } catch (e) {
    return e as PluginExecError;
  }
  throw new Error("expected a failure");
}

const config = JSON.stringify({ cniVersion: "1.0.0", name: "net", type: "stub" });

describe("execPlugin", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  it("passes stdin and argv-less exec, returns stdout and stderr", async () => {
    const p = s.stub("echo", 'echo "args=$#" >&2; cat');
    const out = await execPlugin({ pluginPath: p, stdin: "hello", env: cleanEnv });
    expect(out.stdout.toString()).toBe("hello");
    expect(out.stderr).toBe("args=0\n");
  });

  it("keeps a plugin's error object and code, with stderr on the error", async () => {
    const p = s.stub("err", 'echo oops >&2; printf \'{"code":11,"msg":"busy","details":"retry soon"}\'; exit 1');
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e).toBeInstanceOf(PluginExecError);
    expect([e.code, e.msg, e.details]).toEqual([11, "busy", "retry soon"]);
    expect(e.stderr).toBe("oops\n");
    expect(e.exitCode).toBe(1);
  });

  it("reports a plugin that failed with only stderr, with its exit status", async () => {
    const p = s.stub("stderr-only", "echo 'cannot open /run/x: permission denied' >&2; exit 3");
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.code).toBe(999);
    expect(e.msg).toBe(`plugin ${p} exited with status 3 without printing an error object`);
    expect(e.details).toContain("cannot open /run/x: permission denied");
  });

  it("says when a plugin died silently", async () => {
    const p = s.stub("silent", "exit 1");
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.msg).toContain("exited with status 1");
    expect(e.details).toBe("stderr was empty too");
  });

  it("names the signal that killed a plugin", async () => {
    const p = s.stub("killed", "kill -KILL $$");
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.msg).toBe(`plugin ${p} was killed by signal SIGKILL without printing an error object`);
    expect(e.signal).toBe("SIGKILL");
  });

  it("quotes garbage a failing plugin printed instead of an error object", async () => {
    const p = s.stub("garbage", "echo 'panic: runtime error'; exit 2");
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.code).toBe(6);
    expect(e.msg).toContain("exited with status 2 and its stdout is not a CNI error object");
    expect(e.details).toContain("stdout: panic: runtime error");
  });

  it("kills a plugin that runs past the timeout and says so", async () => {
    const marker = join(s.dir, "survived");
    const p = s.stub("slow", `sleep 5; touch ${marker}`);
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv, timeoutMs: 200 }));
    expect(e.msg).toBe(`plugin ${p} timed out after 200 ms and was killed`);
    // Settled without waiting for the shell's orphaned `sleep`, which still holds the pipes.
    expect(existsSync(marker)).toBe(false);
  });

  it("does not hang on a process the plugin left behind holding stdout", async () => {
    const marker = join(s.dir, "orphan-done");
    const p = s.stub("leaves-child", `(sleep 5; touch ${marker}) & echo '{}'`);
    const out = await execPlugin({ pluginPath: p, stdin: config, env: cleanEnv });
    expect(out.stdout.toString()).toBe("{}\n");
    expect(existsSync(marker)).toBe(false);
    // A timeout that fires after the plugin exited, while its leftover holds the pipes, does not turn success into failure.
    const timed = await execPlugin({ pluginPath: p, stdin: config, env: cleanEnv, timeoutMs: 100 });
    expect(timed.stdout.toString()).toBe("{}\n");
  });

  it("kills a plugin when the caller aborts", async () => {
    const p = s.stub("slow", "sleep 5");
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("runtime shutting down")), 100);
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv, signal: ac.signal }));
    expect(e.msg).toBe(`plugin ${p} was cancelled: runtime shutting down`);
    const pre = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv, signal: AbortSignal.abort("gone") }));
    expect(pre.msg).toContain("was cancelled: gone");
  });

  it("retries a binary held open for writing (ETXTBSY) and then runs it", async () => {
    const path = join(s.dir, "installing");
    const fd = openSync(path, "w", 0o755);
    writeSync(fd, "#!/bin/sh\necho ok\n");
    chmodSync(path, 0o755);
    setTimeout(() => closeSync(fd), 120);
    const out = await execPlugin({ pluginPath: path, stdin: config, env: cleanEnv });
    expect(out.stdout.toString()).toBe("ok\n");
  });

  it("gives up on a binary that stays busy with a real error, never an empty success", async () => {
    const path = join(s.dir, "stuck");
    const fd = openSync(path, "w", 0o755);
    try {
      writeSync(fd, "#!/bin/sh\necho ok\n");
      chmodSync(path, 0o755);
      const e = await failure(execPlugin({ pluginPath: path, stdin: config, env: cleanEnv }));
      expect(e.code).toBe(11);
      expect(e.msg).toBe(`cannot exec plugin ${path}: text file busy (ETXTBSY)`);
      expect(e.details).toMatch(/still busy after 6 attempts/);
    } finally {
      closeSync(fd);
    }
  });

  it("explains a plugin that is not executable", async () => {
    const path = join(s.dir, "noexec");
    writeFileSync(path, "#!/bin/sh\n", { mode: 0o644 });
    const e = await failure(execPlugin({ pluginPath: path, stdin: config, env: cleanEnv }));
    expect(e.msg).toBe(`cannot exec plugin ${path}: EACCES`);
    expect(e.details).toContain("chmod +x");
  });

  it("kills a plugin flooding stdout past the bound", async () => {
    const p = s.stub("flood", "yes");
    const e = await failure(execPlugin({ pluginPath: p, stdin: config, env: cleanEnv, maxStdoutBytes: 1 << 16 }));
    expect(e.msg).toBe(`plugin ${p} wrote more than 65536 bytes to stdout and was killed`);
  });

  it("collects all of a large output", async () => {
    const p = s.stub("big", "head -c 3000000 /dev/zero | tr '\\0' ' '; echo '{\"cniVersion\":\"1.0.0\"}'");
    const r = await execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv });
    expect(r).toEqual({ cniVersion: "1.0.0" });
  });

  it("survives a plugin that exits without reading its stdin", async () => {
    const p = s.stub("noread", "echo done");
    const out = await execPlugin({ pluginPath: p, stdin: "x".repeat(1 << 20), env: cleanEnv });
    expect(out.stdout.toString()).toBe("done\n");
  });
});

describe("plugin environment", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  it("overrides inherited CNI_* and passes trace context and other variables through", async () => {
    const p = s.stub("env", "env");
    const base = { ...cleanEnv, CNI_NETNS: "/stale", CNI_IFNAME: "stale0", TRACEPARENT: "00-abc-def-01", TRACESTATE: "k=v", KEEP: "1" };
    const env = buildPluginEnv({ command: "ADD", containerId: "c1", netns: "/run/netns/x", ifName: "eth0", path: ["/a", "/b"] }, base);
    const lines = (await execPlugin({ pluginPath: p, stdin: "", env })).stdout.toString().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "CNI_COMMAND=ADD",
        "CNI_CONTAINERID=c1",
        "CNI_NETNS=/run/netns/x",
        "CNI_IFNAME=eth0",
        "CNI_ARGS=",
        "CNI_PATH=/a:/b",
        "TRACEPARENT=00-abc-def-01",
        "TRACESTATE=k=v",
        "KEEP=1",
      ]),
    );
    expect(lines.filter((l) => l.startsWith("CNI_NETNS="))).toHaveLength(1);
  });

  it("sets a call's own trace context without pairing it with an inherited tracestate", () => {
    const env = buildPluginEnv({ command: "DEL", traceparent: "00-new-01" }, { TRACEPARENT: "00-old-01", TRACESTATE: "old=1" });
    expect(env.TRACEPARENT).toBe("00-new-01");
    expect(env.TRACESTATE).toBeUndefined();
  });
});

describe("execPluginWithResult", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  it("takes a result without cniVersion to be in the config's version", async () => {
    const p = s.stub("unversioned", `echo '{"ips":[{"address":"169.254.3.4/16","gateway":"169.254.0.1"}]}'`);
    const r = await execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv });
    expect(r).toMatchObject({ cniVersion: "1.0.0", ips: [{ address: "169.254.3.4/16", gateway: "169.254.0.1" }] });
    const old = await execPluginWithResult({ pluginPath: p, stdin: JSON.stringify({ cniVersion: "0.4.0", name: "n", type: "t" }), env: cleanEnv });
    expect(old.cniVersion).toBe("0.4.0");
  });

  it("honours the version a result names", async () => {
    const p = s.stub("v040", `echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"169.254.3.4/16"}]}'`);
    const r = await execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv });
    expect(r.cniVersion).toBe("0.4.0");
  });

  it("quotes the bytes of a result that is not JSON", async () => {
    const p = s.stub("garbage", "echo 'IP allocated: 169.254.3.4'");
    const e = await failure(execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.code).toBe(6);
    expect(e.msg).toContain(`plugin ${p} printed a result that is not JSON`);
    expect(e.details).toBe("stdout: IP allocated: 169.254.3.4\n");
  });

  it("quotes the bytes of a result that does not validate, naming the field", async () => {
    const p = s.stub("bad", `echo '{"cniVersion":"1.0.0","ips":[{"address":"not-a-cidr"}]}'`);
    const e = await failure(execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.code).toBe(6);
    expect(e.msg).toContain("printed an invalid result");
    expect(`${e.msg} ${e.details}`).toContain("ips[0].address");
    expect(e.details).toContain('stdout: {"cniVersion":"1.0.0","ips":[{"address":"not-a-cidr"}]}');
  });

  it("rejects an empty result", async () => {
    const p = s.stub("empty", "exit 0");
    const e = await failure(execPluginWithResult({ pluginPath: p, stdin: config, env: cleanEnv }));
    expect(e.msg).toBe(`plugin ${p} succeeded but printed no result on stdout`);
  });

  it("rejects a config whose cniVersion is not a string before running anything", async () => {
    const marker = join(s.dir, "ran");
    const p = s.stub("never", `touch ${marker}`);
    const e = await failure(execPluginWithResult({ pluginPath: p, stdin: '{"cniVersion":1}', env: cleanEnv }));
    expect(e.code).toBe(6);
    expect(() => readFileSync(marker)).toThrow();
  });
});
