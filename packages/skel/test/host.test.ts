/** The process binding under pluginMain: the invocation flow on a stand-in host, and the fd/stream plumbing. */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { pluginFromArguments, runOnHost } from "../src/plugin-main.js";
import type { Host } from "../src/plugin-main.js";
import { fdStdin, readFdSync, readFinishedStdin, readStream, redirectStdoutToStderr, writeFdSync } from "../src/process-io.js";
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

describe("pluginFromArguments", () => {
  it("turns Go's positional form and the handlers-plus-options form into one plugin", () => {
    const add = () => ({});
    const del = () => {};
    expect(pluginFromArguments(add, del, ["1.0.0"], "about")).toEqual({ add, del, versions: ["1.0.0"], about: "about" });
    expect(pluginFromArguments({ add, del }, { versions: ["0.4.0"], name: "n" })).toEqual({ add, del, versions: ["0.4.0"], name: "n" });
    expect(pluginFromArguments({ add, del, about: "x" })).toEqual({ add, del, about: "x" });
  });
});

describe("fdStdin", () => {
  it("reads a file fd whole, for a full read and for VERSION", async () => {
    const file = join(work, "stdin.json");
    writeFileSync(file, '{"cniVersion":"0.4.0"}');
    for (const options of [undefined, { signal: new AbortController().signal }]) {
      const fd = openSync(file, "r");
      try {
        expect((await fdStdin(fd)(options)).toString()).toBe('{"cniVersion":"0.4.0"}');
      } finally {
        closeSync(fd);
      }
    }
  });

  it("VERSION on a closed fd reads nothing", async () => {
    expect((await fdStdin(987654)({ signal: new AbortController().signal })).length).toBe(0);
  });

  it("VERSION on a pipe: a finished one without a stream, an open one through the stream until aborted", async () => {
    const fifo = join(work, "stdin-fifo");
    execFileSync("mkfifo", [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    let streamBuilt = 0;
    const rest = new PassThrough();
    const stream = () => {
      streamBuilt++;
      return rest;
    };
    try {
      writeSync(writer, '{"cniVersion":');
      const controller = new AbortController();
      const pending = fdStdin(reader, fifo, stream)({ signal: controller.signal });
      rest.write('"1.0.0"}');
      await new Promise((r) => setImmediate(r));
      controller.abort();
      expect((await pending).toString()).toBe('{"cniVersion":"1.0.0"}');
      expect(streamBuilt).toBe(1);

      writeSync(writer, "done");
      closeSync(writer);
      expect((await fdStdin(reader, fifo, stream)({ signal: new AbortController().signal })).toString()).toBe("done");
      expect(streamBuilt).toBe(1);
    } finally {
      closeSync(reader);
    }
  });

  it("a full read on a non-blocking fd falls back to the stream", async () => {
    const child = spawn("sleep", ["5"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const fd = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
      const rest = new PassThrough();
      const pending = fdStdin(fd, "/nonexistent", () => rest)();
      rest.end("from the stream");
      expect((await pending).toString()).toBe("from the stream");
    } finally {
      child.kill();
    }
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

  it("readFinishedStdin reads a pipe whose writer is done, and stops without blocking while it is not", () => {
    const fifo = join(work, "fifo");
    execFileSync("mkfifo", [fifo]);
    // Hold a reader so the writer can open; a runtime's pipe has both ends like this.
    const keepReader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      writeSync(writer, '{"cniVersion":');
      expect(readFinishedStdin(fifo)).toEqual({ data: Buffer.from('{"cniVersion":'), done: false });
      writeSync(writer, '"0.4.0"}');
      closeSync(writer);
      expect(readFinishedStdin(fifo)).toEqual({ data: Buffer.from('"0.4.0"}'), done: true });
    } finally {
      closeSync(keepReader);
    }
  });

  it("readFinishedStdin reads a file whole and gives up on what it cannot open", () => {
    const file = join(work, "finished.json");
    writeFileSync(file, '{"cniVersion":"1.0.0"}');
    expect(readFinishedStdin(file)).toEqual({ data: Buffer.from('{"cniVersion":"1.0.0"}'), done: true });
    expect(readFinishedStdin(join(work, "missing"))).toEqual({ data: Buffer.alloc(0), done: false });
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
