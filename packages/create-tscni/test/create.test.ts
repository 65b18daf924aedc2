import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TEMPLATES, createProject } from "../src/index.js";

const root = resolve(import.meta.dirname, "../../..");
const pkgDir = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "create-tscni-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The CLI laid out as the package ships it (dist/cli.js beside templates/ and package.json, which it finds
 * relative to itself), bundled from src/ by esbuild so the test needs no library build. The published bin
 * itself runs in test/registry.test.ts (npm create tscni@latest).
 */
const cliPackage = join(work, "cli-package");
const cli = join(cliPackage, "dist", "cli.js");
beforeAll(async () => {
  await build({ entryPoints: [join(pkgDir, "src", "cli.ts")], outfile: cli, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "error" });
  symlinkSync(join(pkgDir, "templates"), join(cliPackage, "templates"));
  symlinkSync(join(pkgDir, "package.json"), join(cliPackage, "package.json"));
});
const ownVersion = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")).version as string;

function listFiles(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(rel, e.name)) : [join(rel, e.name)],
  );
}

describe("create-tscni", () => {
  test("has no runtime dependencies and ships its templates", () => {
    const own = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    expect(own.dependencies ?? {}).toEqual({});
    expect(own.files).toContain("templates");
    expect(own.bin).toEqual({ "create-tscni": "dist/cli.js" });
  });

  test.each(TEMPLATES)("template %s: a complete project, placeholders replaced, the skeleton's files", (template) => {
    const dir = join(work, `gen-${template}`);
    const made = createProject({ dir, template });
    expect(made.name).toBe(`gen-${template}`);
    const files = listFiles(dir);
    for (const f of [".gitignore", "package.json", "tsconfig.json", "eslint.config.js", "README.md", "conformance.json", "src/main.ts", "src/plugin.ts", "src/config.ts", "src/add.ts", "test/plugin.test.ts", "test/netns.test.ts"]) {
      expect(files, f).toContain(f);
    }
    expect(files).not.toContain("_gitignore");
    for (const f of files) expect(readFileSync(join(dir, f), "utf8"), f).not.toMatch(/__NAME__|__TSCNI_VERSION__/);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(manifest.name).toBe(`gen-${template}`);
    const ours = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(([d]) => d.startsWith("@tscni/"));
    expect(ours.length).toBeGreaterThan(2);
    for (const [, v] of ours) expect(v).toBe(ownVersion);
    expect(manifest.dependencies.zod).toBeDefined();
    expect(Object.keys(manifest.scripts).sort()).toEqual(["build", "conformance", "install-plugin", "lint", "test", "typecheck"]);
    expect(readFileSync(join(dir, "src/main.ts"), "utf8").split("\n").filter((l) => l.startsWith("void "))).toHaveLength(1);
  });

  // The generated code compiles against this workspace's packages (their sources, as a registry install would give
  // the same declarations): the template's own tsconfig, node_modules borrowed from the workspace.
  test.each(TEMPLATES)("template %s type-checks with its own tsconfig", (template) => {
    const dir = join(work, `tc-${template}`);
    createProject({ dir, template, name: `tc-${template}` });
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    // Through the "source" condition tsc reads the packages' sources, and @tscni/bundle's need the ambient module
    // declaration the workspace keeps for postject (its dist .d.ts do not mention postject).
    const tsconfig = { extends: "./tsconfig.json", files: [join(root, "packages", "bundle", "src", "postject.d.ts")], include: ["src", "test"] };
    writeFileSync(join(dir, "tsconfig.workspace.json"), JSON.stringify(tsconfig));
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.workspace.json", "--customConditions", "source"], { cwd: dir, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 120_000);

  describe("the CLI", () => {
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: "utf8" });

    test("creates a project and says what to do next", () => {
      const r = run(["cli-made", "--template", "chained", "--name", "mtu-setter"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("npm run build");
      expect(JSON.parse(readFileSync(join(work, "cli-made", "package.json"), "utf8")).name).toBe("mtu-setter");
    });

    test("refuses a non-empty directory with exit 2 and writes nothing there", () => {
      mkdirSync(join(work, "occupied"));
      writeFileSync(join(work, "occupied", "notes.txt"), "mine");
      const r = run(["occupied"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/occupied is not empty \(notes\.txt\)/);
      expect(readdirSync(join(work, "occupied"))).toEqual(["notes.txt"]);
    });

    test.each([
      [["x1", "--template", "meta"], /unknown template "meta": use one of interface, chained, ipam/],
      [["Bad_Name"], /"Bad_Name" is not a plugin name.*pass --name/],
      [[], /name the directory to create/],
      [["a", "b"], /one directory only/],
      [["x2", "--bogus"], /Unknown option '--bogus'/],
    ])("usage mistake %j: exit 2 with the reason, no stack trace", (args, message) => {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(work, "x1"))).toBe(false);
    });
  });
});
