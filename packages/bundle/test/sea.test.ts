/**
 * One SEA multi-call binary of every example (~90 MB, a few seconds to build):
 * built once for the file, exec'd through its links, deleted afterwards.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BundleError, buildSea, DEFAULT_SEA_STARTUP } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, examplePlugins, execLikeRuntime, fixture } from "./exec.js";
import { expectCleanErrorOnEmptyStdin, expectNoopSpeaksEveryVerb, expectVersionAnswer } from "./plugin-exec-checks.js";
import { seaSkipReason } from "./sea-support.js";

const skip = await seaSkipReason();

async function expectBuiltinsWork(file: string): Promise<void> {
  const config = JSON.stringify({ cniVersion: "1.0.0", name: "sea-builtins", type: "uses-builtins" });
  const r = await execLikeRuntime(file, cniEnv("ADD"), config);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ dns: { domain: expect.stringMatching(/^spawned\.[0-9a-f]{8}\.ipv4$/) } });
}
const plugins = examplePlugins();
/** Where fixtures/records-add.ts leaves its mark (importing the fixture would run its pluginMain here). */
const handlerMark = (parentPid: number): string => `/tmp/tscni-bundle-handler-ran-${parentPid}`;
let dir: string;
let binary: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-sea-"));
  if (skip) return;
  const built = await buildSea({
    applets: { ...plugins, "upgrade-v1": fixture("upgrade-v1.ts"), "uses-builtins": fixture("uses-builtins.ts"), "records-add": fixture("records-add.ts") },
    outFile: join(dir, "tscni-plugins"),
  });
  binary = built.path;
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(handlerMark(process.pid), { force: true });
});

describe.skipIf(skip)(`SEA multi-call binary (startup: ${DEFAULT_SEA_STARTUP})${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("is one executable file with a link per plugin", async () => {
    const names = (await readdir(dir)).sort();
    expect(names).toEqual([...Object.keys(plugins), "records-add", "tscni-plugins", "upgrade-v1", "uses-builtins"].sort());
    expect((await stat(binary)).mode & 0o777).toBe(0o755);
  });

  it.each(Object.keys(plugins))("%s: answers VERSION through its link and reports bad input as a CNI error", async (name) => {
    await expectVersionAnswer(join(dir, name));
    await expectCleanErrorOnEmptyStdin(join(dir, name));
  });

  it("noop: every verb through its link", async () => {
    await expectNoopSpeaksEveryVerb(join(dir, "noop"));
  });

  it("loads child_process, crypto and net on first use inside the SEA", async () => {
    await expectBuiltinsWork(join(dir, "uses-builtins"));
  });

  it("warmed its code cache without ever running a handler (skel refused the warm-up ADD), and the handler runs at exec", async () => {
    // The build ran in this process, as do the execs below: both would leave the same mark.
    expect(existsSync(handlerMark(process.pid))).toBe(false);
    const config = JSON.stringify({ cniVersion: "1.0.0", name: "sea-warm-up", type: "records-add" });
    const r = await execLikeRuntime(join(dir, "records-add"), cniEnv("ADD"), config);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(handlerMark(process.pid))).toBe(true);
  });

  it("runs without any node on PATH", async () => {
    const r = await execLikeRuntime(join(dir, "upgrade-v1"), { CNI_COMMAND: "VERSION", PATH: "/nonexistent" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).supportedVersions).toEqual(["0.4.0", "1.0.0"]);
  });

  it("dispatches on the name as exec'd, also through a link in another directory", async () => {
    const other = join(dir, "elsewhere");
    await mkdir(other);
    await symlink(join("..", "upgrade-v1"), join(other, "upgrade-v1"));
    const r = await execLikeRuntime(join(other, "upgrade-v1"), { CNI_COMMAND: "VERSION" });
    expect(JSON.parse(r.stdout).supportedVersions).toEqual(["0.4.0", "1.0.0"]);
    await rm(other, { recursive: true });
  });

  it("exec'd under its own name, it answers with a CNI error listing its plugins", async () => {
    const r = await execLikeRuntime(binary, { CNI_COMMAND: "VERSION" });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 4, msg: "unknown plugin name" });
    expect(r.stderr).not.toMatch(/ExperimentalWarning/);
  });
});

describe.skipIf(skip)(`SEA with a V8 startup snapshot${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("plugins run from the snapshot's deserialize-main function, built-ins load there on first use", async () => {
    const out = await mkdtemp(join(dir, "snapshot-"));
    const built = await buildSea({
      applets: { noop: plugins.noop as string, "uses-builtins": fixture("uses-builtins.ts") },
      outFile: join(out, "any-name"),
      startup: "snapshot",
    });
    expect(built.links.length).toBe(2);
    await expectNoopSpeaksEveryVerb(join(out, "noop"));
    await expectBuiltinsWork(join(out, "uses-builtins"));
    await rm(out, { recursive: true });
  }, 120_000);
});

describe.skipIf(skip)(`SEA refusals${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("a Node binary without the SEA fuse (a wrapper script): SEA_UNSUPPORTED, nothing written", async () => {
    const out = await mkdtemp(join(dir, "refusal-"));
    const fakeNode = join(dir, "node-wrapper.sh");
    await writeFile(fakeNode, `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    const e = await buildSea({ entry: plugins.noop as string, outFile: join(out, "noop"), node: fakeNode }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).code).toBe("SEA_UNSUPPORTED");
    expect((e as BundleError).message).toMatch(/no SEA fuse/);
    expect(await readdir(out)).toEqual([]);
    await rm(fakeNode);
  });

  it("a Node that does not run: SEA_UNSUPPORTED", async () => {
    const out = await mkdtemp(join(dir, "refusal-"));
    const e = await buildSea({ entry: plugins.noop as string, outFile: join(out, "noop"), node: "/nonexistent/node" }).catch((err: unknown) => err);
    expect((e as BundleError).code).toBe("SEA_UNSUPPORTED");
    expect(await readdir(out)).toEqual([]);
  });

  it("an entry without pluginMain is refused before the Node copy is made", async () => {
    const out = await mkdtemp(join(dir, "refusal-"));
    const e = await buildSea({ entry: fixture("not-a-plugin.ts"), outFile: join(out, "x") }).catch((err: unknown) => err);
    expect((e as BundleError).code).toBe("NO_PLUGIN_MAIN");
    expect(await readdir(out)).toEqual([]);
  });
});
