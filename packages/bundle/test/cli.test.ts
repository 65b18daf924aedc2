import { execFile } from "node:child_process";
import { mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIntoGonePipe, runWithClosed } from "../../../test/support/closed-output.js";
import { examplePlugins, execLikeRuntime, fixture, repoRoot } from "./exec.js";

const cniBundle = join(repoRoot, "dist", "bin", "cni-bundle");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    const { stdout, stderr } = await promisify(execFile)(cniBundle, args, { env });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { status: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("cni-bundle", () => {
  it("build ENTRY -o OUT writes a runnable plugin", async () => {
    const r = await cli("build", examplePlugins().noop as string, "-o", join(dir, "noop"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*noop \d+\.\d KB\n$/);
    expect((await execLikeRuntime(join(dir, "noop"), { CNI_COMMAND: "VERSION" })).status).toBe(0);
  });

  it("build --applet NAME=ENTRY... writes a multi-call executable and its links", async () => {
    const out = await mkdtemp(join(dir, "multi-"));
    const r = await cli("build", "--applet", `noop=${examplePlugins().noop}`, "--applet", `v1=${fixture("upgrade-v1.ts")}`, "-o", join(out, "all"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/links: noop, v1/);
    expect(await readlink(join(out, "v1"))).toBe("all");
  });

  it("install --to DIR FILE --link NAME", async () => {
    const to = await mkdtemp(join(dir, "to-"));
    const r = await cli("install", "--to", to, join(dir, "noop"), "--link", "noop-alias");
    expect(r.status, r.stderr).toBe(0);
    expect((await readdir(to)).sort()).toEqual(["noop", "noop-alias"]);
  });

  it.each([
    [["build", "/nonexistent/main.ts", "-o", "/tmp/x"], "ENTRY_NOT_FOUND"],
    [["build", fixture("not-a-plugin.ts"), "-o", "/tmp/tscni-never-written"], "NO_PLUGIN_MAIN"],
    [["install", "--to", "/nonexistent", "/usr/bin/true"], "DEST_UNWRITABLE"],
  ])("%j fails with exit 1 and names the problem", async (args, code) => {
    const r = await cli(...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^cni-bundle: ${code}: `));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it.each([[["build", "a.ts"]], [["build", "--bogus"]], [["frobnicate"]], [["build", "a.ts", "b.ts", "-o", "x"]], [["build", "a.ts", "-o", "x", "--startup", "snapshot"]]])(
    "usage error %j exits 2 with the usage",
    async (args) => {
      const r = await cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/Usage:/);
    },
  );

  it("a closed stdout: one line on stderr, no stack trace, exit 1; the build itself is done", async () => {
    const line = "cni-bundle: cannot write to stdout (EPIPE): output lost\n";
    expect(await runWithClosed("stdout", cniBundle, ["--help"])).toEqual({ status: 1, signal: null, stdout: "", stderr: line });
    const out = join(await mkdtemp(join(dir, "closed-")), "noop");
    expect(runIntoGonePipe(cniBundle, ["build", examplePlugins().noop as string, "-o", out])).toEqual({ status: 1, signal: null, stdout: "", stderr: line });
    expect((await execLikeRuntime(out, { CNI_COMMAND: "VERSION" })).status).toBe(0);
  });

  it("a closed stderr or both: usage errors keep exit 2, refusals 1, no crash", async () => {
    expect(await runWithClosed("stderr", cniBundle, ["frobnicate"])).toMatchObject({ status: 2, signal: null, stdout: "" });
    expect(await runWithClosed("both", cniBundle, ["frobnicate"])).toMatchObject({ status: 2, signal: null });
    expect(await runWithClosed("stderr", cniBundle, ["build", "/nonexistent/main.ts", "-o", "/tmp/x"])).toMatchObject({ status: 1, signal: null, stdout: "" });
  });
});
