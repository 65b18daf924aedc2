/** The process binding under pluginMain: the invocation flow on a stand-in host, and the fd/stream plumbing. */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { runOnHost } from "../src/plugin-main.js";
import type { Host } from "../src/plugin-main.js";
import { readFdSync, readStream, redirectStdoutToStderr, writeFdSync } from "../src/process-io.js";
import { configFor, envFor, recorder } from "./helpers.js";

function fakeHost(env: Record<string, string | undefined>, stdin: string) {
  let fatalListener: (error: unknown) => void = () => {};
  const out = {
    crash: (error: unknown) => fatalListener(error), stdout: [] as string[], stderr: [] as string[], status: undefined as number | undefined, redirectedBeforeDispatch: false };
  let redirected = false;
  const host: Host = {
    env,
    stdin: async () => {
      out.redirectedBeforeDispatch = redirected;
      return Buffer.from(stdin);
    },
    redirectStdout: () => {
      redirected = true;
    },
    writeStdout: (chunk) => {
      out.stdout.push(chunk);
    },
    writeStderr: (chunk) => {
      out.stderr.push(chunk);
    },
    onFatal: (listener) => {
      fatalListener = listener;
    },
    finish: (status) => {
      out.status = status;
    },
  };
  return { host, out };
}

const work = mkdtempSync(join(tmpdir(), "tscni-skel-host-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("runOnHost", () => {
  it("redirects stdout before anything runs, writes one document, then finishes with the status", async () => {
    const { plugin } = recorder({ add: () => ({ ips: [{ address: "169.254.7.7/16" }] }) });
    const fake = fakeHost(envFor("ADD"), configFor("1.0.0"));
    await runOnHost(plugin, fake.host);
    expect(fake.out.redirectedBeforeDispatch).toBe(true);
    expect(fake.out.stdout).toHaveLength(1);
    expect(JSON.parse(fake.out.stdout[0]!)).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.7.7/16" }] });
    expect(fake.out.status).toBe(0);
  });

  it("reports a failure with status 1 and the error document", async () => {
    const { plugin } = recorder();
    const fake = fakeHost({ CNI_COMMAND: "BOGUS" }, "");
    await runOnHost(plugin, fake.host);
    expect(JSON.parse(fake.out.stdout[0]!)).toMatchObject({ code: 4, msg: "unknown CNI_COMMAND: BOGUS" });
    expect(fake.out.status).toBe(1);
  });

  it("a stdout that cannot be written means status 1, with a log line", async () => {
    const { plugin } = recorder();
    const fake = fakeHost(envFor("ADD"), configFor("1.0.0"));
    fake.host.writeStdout = () => {
      throw Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" });
    };
    await runOnHost(plugin, fake.host);
    expect(fake.out.status).toBe(1);
    expect(fake.out.stderr.join("")).toContain("cannot write to stdout: EPIPE");
  });

  it("an uncaught error while the handler runs fails the verb with code 999 in the config's version", async () => {
    let fake!: ReturnType<typeof fakeHost>;
    const { plugin } = recorder({
      add: () => {
        // What Node reports when a handler's timer throws: the handler itself never settles.
        setImmediate(() => fake.out.crash(new Error("timer blew up")));
        return new Promise(() => {});
      },
    });
    fake = fakeHost(envFor("ADD"), configFor("0.4.0"));
    await runOnHost(plugin, fake.host);
    expect(fake.out.stdout.map((d) => JSON.parse(d))).toEqual([{ cniVersion: "0.4.0", code: 999, msg: "timer blew up" }]);
    expect(fake.out.status).toBe(1);
  });

  it("an uncaught error after the answer is only logged", async () => {
    const { plugin } = recorder();
    const fake = fakeHost(envFor("DEL"), configFor("1.0.0"));
    await runOnHost(plugin, fake.host);
    fake.out.crash(new Error("late"));
    fake.out.crash("late string");
    expect(fake.out.status).toBe(0);
    expect(fake.out.stdout).toEqual([]);
    expect(fake.out.stderr.join("")).toMatch(/^error after the answer was written \(ignored\): Error: late\n/);
    expect(fake.out.stderr.join("")).toContain("(ignored): late string\n");
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

describe("redirectStdoutToStderr", () => {
  it("points stdout and console's bound stream at stderr, without touching the real stdout", () => {
    let built = 0;
    const stderr = { name: "stderr" };
    const proc = { stderr } as { stdout: unknown; stderr: unknown };
    Object.defineProperty(proc, "stdout", {
      configurable: true,
      enumerable: true,
      get: () => {
        built++;
        return { name: "stdout" };
      },
    });
    const cons = {};
    Object.defineProperty(cons, "_stdout", { configurable: true, get: () => proc.stdout, set: () => {} });
    redirectStdoutToStderr(proc, cons);
    expect(proc.stdout).toBe(stderr);
    expect((cons as { _stdout: unknown })._stdout).toBe(stderr);
    expect(built).toBe(0);
  });

  it("leaves a non-configurable property alone rather than throw", () => {
    const proc = { stderr: {} } as { stdout: unknown; stderr: unknown };
    Object.defineProperty(proc, "stdout", { configurable: false, value: "fixed" });
    const cons = {};
    Object.defineProperty(cons, "_stdout", { configurable: false, value: "fixed" });
    expect(() => redirectStdoutToStderr(proc, cons)).not.toThrow();
    expect(proc.stdout).toBe("fixed");
  });
});

describe("fd plumbing", () => {
  it("readFdSync reads a regular file whole, and a closed fd as empty", () => {
    const file = join(work, "in.json");
    writeFileSync(file, "x".repeat(200_000));
    const fd = openSync(file, "r");
    try {
      expect(readFdSync(fd)?.length).toBe(200_000);
    } finally {
      closeSync(fd);
    }
    expect(readFdSync(fd)?.length).toBe(0);
  });

  it("readFdSync reads a character device up to EOF", () => {
    const fd = openSync("/dev/null", "r");
    try {
      expect(readFdSync(fd)?.length).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it("readFdSync passes other errors on", () => {
    const fd = openSync(work, "r");
    try {
      expect(() => readFdSync(fd)).toThrow(/EISDIR/);
    } finally {
      closeSync(fd);
    }
  });

  it("readFdSync hands a non-blocking fd with nothing to read back to the stream reader", async () => {
    // The parent's end of a child's stdout pipe is non-blocking, like a stdin a runtime set O_NONBLOCK on.
    const child = spawn("sleep", ["5"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const fd = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
      expect(readFdSync(fd)).toBeUndefined();
    } finally {
      child.kill();
    }
  });

  it("writeFdSync writes everything", () => {
    const file = join(work, "out.txt");
    const fd = openSync(file, "w");
    try {
      writeFdSync(fd, "é".repeat(100_000));
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, "utf8")).toBe("é".repeat(100_000));
  });

  it("writeFdSync passes errors other than EAGAIN on", () => {
    expect(() => writeFdSync(987654, "x")).toThrow(/EBADF/);
  });

  it("readStream collects a stream to its end, or what arrived when aborted", async () => {
    const whole = new PassThrough();
    const pending = readStream(whole);
    whole.write("ab");
    whole.end("cd");
    expect((await pending).toString()).toBe("abcd");

    const open = new PassThrough();
    const controller = new AbortController();
    const partial = readStream(open, controller.signal);
    open.write("ef");
    await new Promise((r) => setImmediate(r));
    controller.abort();
    expect((await partial).toString()).toBe("ef");
    expect(open.destroyed).toBe(true);

    const broken = new PassThrough();
    const failing = readStream(broken);
    broken.destroy(new Error("EIO"));
    await expect(failing).rejects.toThrow("EIO");
  });
});
