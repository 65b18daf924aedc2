import { execFile } from "node:child_process";
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { buildExecutable, codeCachePathFor, install } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, examplePlugins, execLikeRuntime, fixture, repoRoot } from "./exec.js";

/**
 * Preloaded into the executables under test (NODE_OPTIONS=--require, not a V8
 * flag, so it does not change what V8 accepts): reports on stderr what became
 * of the cachedData the loader passed to vm.Script.
 */
const REPORTER = `const vm = require("node:vm");
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(source, options) {
    super(source, options);
    process.stderr.write("cachedData:" + (options && options.cachedData ? (this.cachedDataRejected ? "rejected" : "accepted") : "none") + "\\n");
  }
};
`;
/** Sidecar header: 16 bytes of bundle hash, CRC-32 (LE) of V8's data after it. */
const HEADER = 20;

let dir: string;
let reporter: string;
let plain: string;
let cached: string;
let goodCache: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-code-cache-"));
  reporter = join(dir, "reporter.cjs");
  await writeFile(reporter, REPORTER);
  const noop = examplePlugins().noop as string;
  plain = (await buildExecutable({ entry: noop, outFile: join(dir, "plain") })).path;
  const built = await buildExecutable({ entry: noop, outFile: join(dir, "cached"), codeCache: true });
  cached = built.path;
  expect(built.codeCache?.path).toBe(`${cached}.v8cache`);
  goodCache = await readFile(codeCachePathFor(cached));
  expect(built.codeCache?.bytes).toBe(goodCache.length);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "tscni-code-cache", type: "noop" });
const VERBS: Array<[string, Record<string, string>, string]> = [
  ["VERSION", { CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}'],
  ["ADD", cniEnv("ADD"), CONFIG],
  ["CHECK", cniEnv("CHECK"), JSON.stringify({ ...JSON.parse(CONFIG), prevResult: { cniVersion: "1.0.0", interfaces: [], ips: [] } })],
  ["DEL", cniEnv("DEL"), CONFIG],
  ["GC", cniEnv("GC", { CNI_NETNS: "" }), JSON.stringify({ cniVersion: "1.1.0", name: "tscni-code-cache", type: "noop" })],
  ["STATUS", cniEnv("STATUS"), JSON.stringify({ cniVersion: "1.1.0", name: "tscni-code-cache", type: "noop" })],
  ["bad config", cniEnv("ADD"), "{not json"],
];

function runReported(file: string, env: Record<string, string>, stdin: string) {
  return execLikeRuntime(file, { ...env, NODE_OPTIONS: `--require ${reporter}` }, stdin);
}

/** ADD through `file` answers exactly as the plain bundle does; returns what the reporter said. */
async function sameAnswerAsPlain(file: string): Promise<string> {
  const [want, got] = await Promise.all([execLikeRuntime(plain, cniEnv("ADD"), CONFIG), runReported(file, cniEnv("ADD"), CONFIG)]);
  expect(want.status).toBe(0);
  expect({ status: got.status, signal: got.signal, stdout: got.stdout }).toEqual({ status: want.status, signal: want.signal, stdout: want.stdout });
  return got.stderr.trim();
}

async function withSidecar(name: string, sidecar: Buffer | "directory" | "fifo" | "symlink" | undefined): Promise<string> {
  const sub = await mkdtemp(join(dir, `${name}-`));
  const file = join(sub, "plugin");
  await copyFile(cached, file);
  if (sidecar === "directory") await mkdir(codeCachePathFor(file));
  else if (sidecar === "fifo") await promisify(execFile)("mkfifo", [codeCachePathFor(file)]);
  else if (sidecar === "symlink") await symlink(codeCachePathFor(cached), codeCachePathFor(file));
  else if (sidecar) await writeFile(codeCachePathFor(file), sidecar);
  return file;
}

/** A sidecar whose header is right for `data` (the hash of `like`'s sidecar, a fresh CRC). */
function resealed(data: Buffer, like: Buffer = goodCache): Buffer {
  const header = Buffer.from(like.subarray(0, HEADER));
  header.writeUInt32LE(crc32(data), 16);
  return Buffer.concat([header, data]);
}

describe("script bundle with a code cache", () => {
  it.each(VERBS)("%s: answers like the plain bundle, with V8 accepting the cache", async (_verb, env, stdin) => {
    const [want, got] = await Promise.all([execLikeRuntime(plain, env, stdin), runReported(cached, env, stdin)]);
    expect({ status: got.status, stdout: got.stdout }).toEqual({ status: want.status, stdout: want.stdout });
    expect(got.stderr).toContain("cachedData:accepted");
  });

  it("is one self-contained file: without its sidecar it compiles normally", async () => {
    expect(await sameAnswerAsPlain(await withSidecar("none", undefined))).toBe("cachedData:none");
  });

  it("ignores a corrupted sidecar (V8 would crash on it: the CRC catches it)", async () => {
    const corrupted = Buffer.from(goodCache);
    const middle = corrupted.length >> 1;
    corrupted.fill(0x5a, middle, middle + 64);
    expect(await sameAnswerAsPlain(await withSidecar("corrupted", corrupted))).toBe("cachedData:none");
  });

  it("ignores a truncated, an empty and an unreadable sidecar", async () => {
    for (const [name, sidecar] of [
      ["truncated", goodCache.subarray(0, goodCache.length >> 1)],
      ["header-only", goodCache.subarray(0, HEADER)],
      ["empty", Buffer.alloc(0)],
      ["directory", "directory"],
    ] as const) {
      expect(await sameAnswerAsPlain(await withSidecar(name, sidecar)), name).toBe("cachedData:none");
    }
  });

  it("never opens a FIFO planted as the sidecar (a plain open would block every exec) nor follows a symlink", async () => {
    // A hang here ends in the test's timeout, not in an answer.
    expect(await sameAnswerAsPlain(await withSidecar("fifo", "fifo"))).toBe("cachedData:none");
    expect(await sameAnswerAsPlain(await withSidecar("symlink", "symlink"))).toBe("cachedData:none");
  }, 20_000);

  it("ignores the sidecar of another bundle (V8 alone would accept one of the same length)", async () => {
    const other = await buildExecutable({ entry: fixture("upgrade-v1.ts"), outFile: join(dir, "other"), codeCache: true });
    const foreign = await readFile(codeCachePathFor(other.path));
    expect(await sameAnswerAsPlain(await withSidecar("foreign-source", foreign))).toBe("cachedData:none");
    // Its V8 data behind this bundle's header: V8's own checks are all that is left, and they refuse it.
    expect(await sameAnswerAsPlain(await withSidecar("foreign-data", resealed(foreign.subarray(HEADER))))).toBe("cachedData:rejected");
  });

  it("falls back when V8 rejects the cache, as for one made by another Node/V8 version", async () => {
    const data = Buffer.from(goodCache.subarray(HEADER));
    // V8's header: magic number, then the hash of the V8 version that made it.
    data.writeUInt32LE((data.readUInt32LE(4) ^ 0xffffffff) >>> 0, 4);
    expect(await sameAnswerAsPlain(await withSidecar("other-v8", resealed(data)))).toBe("cachedData:rejected");
  });

  it("a multi-call build is warmed per applet and found through the applet links", async () => {
    const out = join(await mkdtemp(join(dir, "multi-")), "all");
    const built = await buildExecutable({ applets: { noop: examplePlugins().noop as string, v1: fixture("upgrade-v1.ts") }, outFile: out, codeCache: true });
    expect(built.links.length).toBe(2);
    for (const link of built.links) {
      const r = await runReported(link, { CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain("cachedData:accepted");
    }
  });

  it("a plain build removes the sidecar an earlier code-cache build left", async () => {
    const out = join(await mkdtemp(join(dir, "rebuild-")), "plugin");
    await buildExecutable({ entry: examplePlugins().noop as string, outFile: out, codeCache: true });
    expect((await stat(codeCachePathFor(out))).isFile()).toBe(true);
    const again = await buildExecutable({ entry: examplePlugins().noop as string, outFile: out });
    expect(again.codeCache).toBeUndefined();
    await expect(stat(codeCachePathFor(out))).rejects.toThrow(/ENOENT/);
  });
});

describe("install of a code-cache build", () => {
  it("installs the executable and its sidecar; a later plain install removes the sidecar", async () => {
    const to = await mkdtemp(join(dir, "to-"));
    const done = await install({ files: [cached], to });
    expect(done.files).toEqual([join(to, "cached")]);
    expect(done.codeCaches).toEqual([join(to, "cached.v8cache")]);
    expect((await readdir(to)).sort()).toEqual(["cached", "cached.v8cache"]);
    expect(await readFile(join(to, "cached.v8cache"))).toEqual(goodCache);
    expect((await stat(join(to, "cached.v8cache"))).mode & 0o777).toBe(0o644);
    const r = await runReported(join(to, "cached"), { CNI_COMMAND: "VERSION" }, "{\"cniVersion\":\"1.0.0\"}");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("cachedData:accepted");

    const plainNamed = join(await mkdtemp(join(dir, "plain-")), "cached");
    await copyFile(plain, plainNamed);
    const again = await install({ files: [plainNamed], to });
    expect(again.codeCaches).toEqual([]);
    expect(await readdir(to)).toEqual(["cached"]);
  });

  it("refuses, before changing anything, when the sidecar's name is taken by a directory", async () => {
    const to = await mkdtemp(join(dir, "in-the-way-"));
    await writeFile(join(to, "cached"), "old\n", { mode: 0o755 });
    await mkdir(join(to, "cached.v8cache"));
    for (const file of [cached, plain]) {
      const named = join(await mkdtemp(join(dir, "src-")), "cached");
      await copyFile(file, named);
      if (file === cached) await copyFile(codeCachePathFor(cached), codeCachePathFor(named));
      const e = await install({ files: [named], to }).then(
        () => undefined,
        (err: unknown) => err as { code?: string; message?: string },
      );
      expect(e?.code, file).toBe("DEST_IN_THE_WAY");
      expect(e?.message).toContain(join(to, "cached.v8cache"));
      expect((await readdir(to)).sort()).toEqual(["cached", "cached.v8cache"]);
      expect(await readFile(join(to, "cached"), "utf8")).toBe("old\n");
      expect((await lstat(join(to, "cached.v8cache"))).isDirectory()).toBe(true);
    }
  });

  it("cni-bundle install names the directory in the way and exits 1 with its code", async () => {
    const to = await mkdtemp(join(dir, "cli-in-the-way-"));
    await mkdir(join(to, "cached.v8cache"));
    const r = await promisify(execFile)(join(repoRoot, "dist", "bin", "cni-bundle"), ["install", "--to", to, cached]).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`cni-bundle: DEST_IN_THE_WAY: ${join(to, "cached.v8cache")} is a directory, so nothing can be installed under that name; nothing was changed; remove or rename it first\n`);
    expect(await readdir(to)).toEqual(["cached.v8cache"]);
  });

  it("cni-bundle build --code-cache writes both and says so", async () => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const out = join(await mkdtemp(join(dir, "cli-")), "noop");
    const { stdout } = await promisify(execFile)(join(repoRoot, "dist", "bin", "cni-bundle"), ["build", examplePlugins().noop as string, "-o", out, "--code-cache"], { env });
    expect(stdout).toMatch(/^wrote .*noop \d+\.\d KB, .*noop\.v8cache \d+\.\d KB\n$/);
    const r = await runReported(out, { CNI_COMMAND: "VERSION" }, "{\"cniVersion\":\"1.0.0\"}");
    expect(r.stderr).toContain("cachedData:accepted");
  });
});
