import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BundleError, buildExecutable, install } from "@tscni/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execLikeRuntime, fixture, repoRoot } from "./exec.js";

const cniBundle = join(repoRoot, "dist", "bin", "cni-bundle");
let dir: string;
let v1: string;
let v2: string;
const answers = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tscni-bundle-install-"));
  // Same file name, two contents: installing one replaces the other.
  await mkdir(join(dir, "v1"));
  await mkdir(join(dir, "v2"));
  v1 = (await buildExecutable({ entry: fixture("upgrade-v1.ts"), outFile: join(dir, "v1", "plugin") })).path;
  v2 = (await buildExecutable({ entry: fixture("upgrade-v2.ts"), outFile: join(dir, "v2", "plugin") })).path;
  for (const [name, file] of [["v1", v1], ["v2", v2]] as const) {
    const r = await execLikeRuntime(file, { CNI_COMMAND: "VERSION" });
    answers.set(r.stdout, name);
  }
  expect(answers.size).toBe(2);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("install", () => {
  it("copies each file into the directory, mode 0755, leaving no temporary file", async () => {
    const to = await mkdtemp(join(dir, "to-"));
    const done = await install({ files: [v1], to });
    expect(done.files).toEqual([join(to, "plugin")]);
    expect(await readFile(join(to, "plugin"))).toEqual(await readFile(v1));
    expect((await stat(join(to, "plugin"))).mode & 0o777).toBe(0o755);
    expect(await readdir(to)).toEqual(["plugin"]);
  });

  it("creates relative links to a multi-call executable, replacing what was there", async () => {
    const to = await mkdtemp(join(dir, "to-"));
    await writeFile(join(to, "bridge"), "an old, unrelated file");
    const done = await install({ files: [v2], to, links: ["bridge", "host-local"] });
    expect(done.links.sort()).toEqual([join(to, "bridge"), join(to, "host-local")]);
    expect(await readlink(join(to, "bridge"))).toBe("plugin");
    expect(await readlink(join(to, "host-local"))).toBe("plugin");
    expect(answers.get((await execLikeRuntime(join(to, "bridge"), { CNI_COMMAND: "VERSION" })).stdout)).toBe("v2");
  });

  it.each([
    ["a missing source file", { files: ["/nonexistent/plugin"], to: "/tmp" }, "ENTRY_NOT_FOUND"],
    ["a missing directory", { files: ["SRC"], to: "/nonexistent/cni/bin" }, "DEST_UNWRITABLE"],
    ["a read-only directory", { files: ["SRC"], to: "/proc" }, "DEST_UNWRITABLE"],
    ["links with several files", { files: ["SRC", "SRC"], to: "/tmp", links: ["a"] }, "BAD_OPTION"],
    ["nothing to install", { files: [], to: "/tmp" }, "BAD_OPTION"],
  ])("refuses %s", async (_what, options, code) => {
    const files = options.files.map((f) => (f === "SRC" ? v1 : f));
    const e = await install({ ...options, files }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).code).toBe(code);
  });
});

/** Runs `cni-bundle install` in its own process, alternating v1 and v2, `rounds` times each. */
function installRepeatedly(to: string, rounds: number): Promise<number> {
  const script = `for i in $(seq ${rounds}); do "$0" install --to "$1" "$2" >/dev/null || exit 1; "$0" install --to "$1" "$3" >/dev/null || exit 1; done`;
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn("sh", ["-c", script, cniBundle, to, v1, v2], { stdio: ["ignore", "ignore", "inherit"], env });
    child.on("error", reject);
    child.on("close", (status) => resolve(status ?? -1));
  });
}

describe("install over a running plugin", () => {
  it("every concurrent exec runs the complete old or the complete new file, never fails", async () => {
    const to = await mkdtemp(join(dir, "busy-"));
    await install({ files: [v1], to });
    const target = join(to, "plugin");
    let installing = true;
    const outcomes: string[] = [];
    const failures: string[] = [];
    const execLoop = async () => {
      while (installing) {
        const r = await execLikeRuntime(target, { CNI_COMMAND: "VERSION" });
        const which = answers.get(r.stdout);
        if (r.status === 0 && which) outcomes.push(which);
        else failures.push(`status ${r.status} signal ${r.signal} stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr.slice(0, 300))}`);
      }
    };
    const installer = installRepeatedly(to, 8).finally(() => {
      installing = false;
    });
    const [installerStatus] = await Promise.all([installer, execLoop(), execLoop(), execLoop()]);
    expect(installerStatus).toBe(0);
    expect(failures).toEqual([]);
    // Both versions were exec'd, so execs really overlapped the replacements.
    expect(outcomes).toContain("v1");
    expect(outcomes).toContain("v2");
    expect(outcomes.length).toBeGreaterThan(20);
    expect(await readdir(to)).toEqual(["plugin"]);
  }, 120_000);
});
