/**
 * A plugin in an ordinary TypeScript project, outside this workspace, whose
 * package.json says "type": "module": `cni-bundle build src/main.ts -o
 * dist/my-plugin` just works. Node would load the extensionless CommonJS
 * bundle as ESM there; the build writes dist/package.json {"type": "commonjs"}.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniEnv, execLikeRuntime, parseJson, repoRoot } from "./exec.js";

const cniBundle = join(repoRoot, "dist", "bin", "cni-bundle");
const MAIN = `import { pluginMain } from "@tscni/skel";

void pluginMain({ add: () => ({}), del: () => {} }, { versions: ["1.0.0", "1.1.0"], name: "my-plugin" });
`;
let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "tscni-esm-project-"));
  expect(project.startsWith(repoRoot)).toBe(false);
  await writeFile(join(project, "package.json"), `${JSON.stringify({ name: "my-plugin", private: true, type: "module" }, null, 2)}\n`);
  await mkdir(join(project, "src"));
  await writeFile(join(project, "src", "main.ts"), MAIN);
  // @tscni/skel as an installed dependency: the workspace's node_modules, where @tscni/* link to packages/*.
  await symlink(join(repoRoot, "node_modules"), join(project, "node_modules"));
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return promisify(execFile)(cniBundle, args, { cwd: project, env }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

async function answersVersion(file: string): Promise<void> {
  const r = await execLikeRuntime(file, cniEnv("VERSION"), '{"cniVersion":"1.0.0"}');
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(parseJson(r.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["1.0.0", "1.1.0"] });
}

describe('a "type": "module" project', () => {
  it.each([[[] as string[]], [["--code-cache"]]])("cni-bundle build src/main.ts -o dist/my-plugin %j runs under Node", async (extra) => {
    await rm(join(project, "dist"), { recursive: true, force: true });
    await mkdir(join(project, "dist"));
    const r = await cli("build", "src/main.ts", "-o", "dist/my-plugin", ...extra);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${join(project, "dist", "package.json")} ({"type": "commonjs"}: the project is "type": "module")`);
    expect(JSON.parse(await readFile(join(project, "dist", "package.json"), "utf8"))).toEqual({ type: "commonjs" });
    await answersVersion(join(project, "dist", "my-plugin"));
    // Rebuilding over it is the same build: the marker is already there.
    expect((await cli("build", "src/main.ts", "-o", "dist/my-plugin", ...extra)).status).toBe(0);
    await answersVersion(join(project, "dist", "my-plugin"));
  }, 60_000);

  it("installing into a plugin directory in that scope writes the marker there too", async () => {
    const to = join(project, "cni-bin");
    await mkdir(to, { recursive: true });
    const r = await cli("install", "--to", "cni-bin", "dist/my-plugin");
    expect(r.status, r.stderr).toBe(0);
    // The last build above was a --code-cache one: its sidecar comes along.
    expect((await readdir(to)).sort()).toEqual(["my-plugin", "my-plugin.v8cache", "package.json"]);
    expect(JSON.parse(await readFile(join(to, "package.json"), "utf8"))).toEqual({ type: "commonjs" });
    await answersVersion(join(to, "my-plugin"));
  }, 60_000);

  it("refuses, writing nothing, where a marker would change the project's own ES modules (tsc output in dist/)", async () => {
    const out = join(project, "lib");
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "index.js"), "export const x = 1;\n");
    const r = await cli("build", "src/main.ts", "-o", "lib/my-plugin");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cni-bundle: BAD_OPTION: .*lib\/my-plugin would lie in the scope of .*package\.json, which sets "type": "module".*\(index\.js\).*dist\/bin\//);
    expect(await readdir(out)).toEqual(["index.js"]);
  }, 60_000);
});
