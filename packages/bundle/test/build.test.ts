import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BundleError, buildExecutable, buildExecutables } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { examplePlugins, execLikeRuntime, fixture } from "./exec.js";
import { expectCleanErrorOnEmptyStdin, expectNoopSpeaksEveryVerb, expectVersionAnswer } from "./plugin-exec-checks.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-build-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<BundleError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BundleError);
  return e as BundleError;
}

describe("script bundles of every example, exec'd as a runtime would", () => {
  const plugins = examplePlugins();
  const built: Record<string, string> = {};
  beforeAll(async () => {
    await Promise.all(
      Object.entries(plugins).map(async ([name, entry]) => {
        built[name] = (await buildExecutable({ entry, outFile: join(dir, name) })).path;
      }),
    );
  });

  it("finds the examples", () => {
    expect(Object.keys(plugins)).toContain("noop");
  });

  it.each(Object.keys(plugins))("%s: a 0755 file starting with the default #! line", async (name) => {
    const file = built[name] as string;
    expect((await stat(file)).mode & 0o777).toBe(0o755);
    expect((await readFile(file, "utf8")).split("\n", 1)[0]).toBe("#!/usr/bin/env node");
  });

  it.each(Object.keys(plugins))("%s: answers VERSION and reports bad input as a CNI error", async (name) => {
    await expectVersionAnswer(built[name] as string);
    await expectCleanErrorOnEmptyStdin(built[name] as string);
  });

  it("noop: every verb", async () => {
    await expectNoopSpeaksEveryVerb(built.noop as string);
  });

  it("an absolute interpreter path works where PATH has no node", async () => {
    const file = join(dir, "noop-abs");
    await buildExecutable({ entry: plugins.noop as string, outFile: file, interpreter: process.execPath });
    expect((await readFile(file, "utf8")).split("\n", 1)[0]).toBe(`#!${process.execPath}`);
    const r = await execLikeRuntime(file, { CNI_COMMAND: "VERSION", PATH: "/nonexistent" });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe("multi-call script bundle", () => {
  it("dispatches on the link it was exec'd through, and refuses any other name", async () => {
    const sub = join(dir, "multi");
    await mkdir(sub);
    const out = await buildExecutable({
      applets: { noop: examplePlugins().noop as string, "upgrade-v2": fixture("upgrade-v2.ts") },
      outFile: join(sub, "tscni-plugins"),
    });
    expect(out.links.map((l) => l.slice(sub.length + 1)).sort()).toEqual(["noop", "upgrade-v2"]);
    await expectNoopSpeaksEveryVerb(join(sub, "noop"));
    const v2 = await execLikeRuntime(join(sub, "upgrade-v2"), { CNI_COMMAND: "VERSION" });
    expect(JSON.parse(v2.stdout).supportedVersions).toEqual(["1.0.0", "1.1.0"]);
    const direct = await execLikeRuntime(out.path, { CNI_COMMAND: "VERSION" });
    expect(direct.status).toBe(1);
    expect(JSON.parse(direct.stdout)).toMatchObject({ code: 4, msg: "unknown plugin name" });
    expect(JSON.parse(direct.stdout).details).toMatch(/noop, upgrade-v2/);
  });
});

describe("buildExecutables: many plugins in one esbuild run", () => {
  it("writes the same files as one-by-one builds", async () => {
    const out = await mkdtemp(join(dir, "batch-"));
    const entries = { noop: examplePlugins().noop as string, v1: fixture("upgrade-v1.ts"), hello: fixture("not-a-plugin.ts") };
    const results = await buildExecutables(
      Object.entries(entries).map(([name, entry]) => ({ entry, outFile: join(out, name), requirePluginMain: name !== "hello" })),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const single = await buildExecutable({ entry: entries.v1, outFile: join(out, "v1-alone") });
    expect(await readFile(join(out, "v1"))).toEqual(await readFile(single.path));
    expect((await execLikeRuntime(join(out, "hello"), {})).stdout).toBe("hello\n");
  });

  it("a broken entry fails alone, with its own error, and the others are still written", async () => {
    const out = await mkdtemp(join(dir, "batch-"));
    const results = await buildExecutables([
      { entry: examplePlugins().noop as string, outFile: join(out, "noop") },
      { entry: fixture("own-plugin-main.ts"), outFile: join(out, "own") },
      { entry: join(out, "missing.ts"), outFile: join(out, "missing") },
    ]);
    expect(results[0]?.status).toBe("fulfilled");
    expect(results[1]?.status === "rejected" && (results[1].reason as BundleError).code).toBe("NO_PLUGIN_MAIN");
    expect(results[2]?.status === "rejected" && (results[2].reason as BundleError).code).toBe("ENTRY_NOT_FOUND");
    expect(await readdir(out)).toEqual(["noop"]);
  });
});

describe("refusals: a clear error, and nothing written", () => {
  const emptyDir = async (): Promise<string> => mkdtemp(join(dir, "refusal-"));

  it("a missing entry", async () => {
    const out = await emptyDir();
    const e = await rejection(buildExecutable({ entry: join(out, "nope.ts"), outFile: join(out, "x") }));
    expect(e.code).toBe("ENTRY_NOT_FOUND");
    expect(e.message).toContain("nope.ts");
    expect(await readdir(out)).toEqual([]);
  });

  it.each([
    ["not-a-plugin.ts", "prints text and never imports skel"],
    ["imports-skel-never-calls.ts", "imports skel's dispatch but never pluginMain"],
    ["own-plugin-main.ts", "declares its own function named pluginMain"],
  ])("an entry that never calls skel's pluginMain: %s (%s)", async (name) => {
    const out = await emptyDir();
    const e = await rejection(buildExecutable({ entry: fixture(name), outFile: join(out, "x") }));
    expect(e.code).toBe("NO_PLUGIN_MAIN");
    expect(e.message).toContain(name);
    expect(e.message).toMatch(/pluginMain/);
    expect(await readdir(out)).toEqual([]);
  });

  it("requirePluginMain: false builds a program that is not a plugin", async () => {
    const out = await emptyDir();
    await buildExecutable({ entry: fixture("not-a-plugin.ts"), outFile: join(out, "hello"), requirePluginMain: false });
    expect((await execLikeRuntime(join(out, "hello"), {})).stdout).toBe("hello\n");
  });

  it("an entry esbuild cannot compile names the file and line", async () => {
    const out = await emptyDir();
    const entry = join(out, "broken.ts");
    await writeFile(entry, "const broken = ;\n");
    const e = await rejection(buildExecutable({ entry, outFile: join(out, "x") }));
    expect(e.code).toBe("BUILD_FAILED");
    expect(e.message).toMatch(/broken\.ts:1:/);
    expect(await readdir(out)).toEqual(["broken.ts"]);
  });

  it.each([
    ["a directory that does not exist", (d: string) => join(d, "missing", "noop")],
    ["a path below a regular file", (d: string) => join(d, "file", "noop")],
    ["a read-only filesystem", () => "/proc/tscni-noop"],
  ])("an unwritable destination: %s", async (_what, dest) => {
    const out = await emptyDir();
    await writeFile(join(out, "file"), "");
    const e = await rejection(buildExecutable({ entry: examplePlugins().noop as string, outFile: dest(out) }));
    expect(e.code).toBe("DEST_UNWRITABLE");
    expect(e.message).toMatch(/cannot write/);
    expect(await readdir(out)).toEqual(["file"]);
  });

  it("a destination inside a \"type\": \"module\" package, where Node would load the script as ESM", async () => {
    const out = await emptyDir();
    await writeFile(join(out, "package.json"), '{"type":"module"}');
    const e = await rejection(buildExecutable({ entry: examplePlugins().noop as string, outFile: join(out, "noop") }));
    expect(e.code).toBe("BAD_OPTION");
    expect(e.message).toMatch(/"type": "module"/);
    expect(await readdir(out)).toEqual(["package.json"]);
  });

  it.each([["node"], ["/usr/bin/node\n--inspect"], [`/${"x".repeat(200)}`]])("an interpreter unusable in a #! line: %j", async (interpreter) => {
    const out = await emptyDir();
    const e = await rejection(buildExecutable({ entry: examplePlugins().noop as string, outFile: join(out, "noop"), interpreter }));
    expect(e.code).toBe("BAD_OPTION");
    expect(await readdir(out)).toEqual([]);
  });

  it("an applet name that is not a file name", async () => {
    const out = await emptyDir();
    const e = await rejection(buildExecutable({ applets: { "../evil": examplePlugins().noop as string }, outFile: join(out, "m") }));
    expect(e.code).toBe("BAD_OPTION");
    expect(await readdir(out)).toEqual([]);
  });

  it.each([[{}], [{ codeCache: true }], [{ requirePluginMain: false }]])("an entry with its own #! line runs: %j", async (extra) => {
    const out = await emptyDir();
    const built = await buildExecutable({ entry: fixture("with-hashbang.ts"), outFile: join(out, "p"), ...extra });
    const text = await readFile(built.path, "utf8");
    expect(text.split("\n").filter((l) => l.startsWith("#!"))).toHaveLength(1);
    const r = await execLikeRuntime(built.path, { CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.0.0"}');
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 60_000);

  it("replacing an existing executable keeps the old one when the build fails", async () => {
    const out = await emptyDir();
    const dest = join(out, "noop");
    await buildExecutable({ entry: examplePlugins().noop as string, outFile: dest });
    const before = await readFile(dest);
    await rejection(buildExecutable({ entry: fixture("not-a-plugin.ts"), outFile: dest }));
    expect(await readFile(dest)).toEqual(before);
    expect(await readdir(out)).toEqual(["noop"]);
  });
});
