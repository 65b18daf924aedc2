/**
 * The guide cannot rot: every ```ts block in docs/guide/*.md is compiled, with the repository's
 * strict compiler options, against the packages of this workspace; every ```json block parses.
 * Blocks whose info string names a file (```ts file=src/plugin.ts) are written at that path of one
 * shared project, so the pages' examples can import each other as a reader's project would;
 * the others are compiled as standalone modules. The root README's example is checked alike.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const GUIDE = join(ROOT, "docs/guide");

interface Block {
  page: string;
  line: number;
  lang: string;
  file?: string;
  code: string;
}

function blocksOf(page: string, dir = GUIDE): Block[] {
  const lines = readFileSync(join(dir, page), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)(?:\s+file=(\S+))?\s*$/.exec(lines[i] ?? "");
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i] ?? "");
    out.push({ page, line: start + 1, lang: open[1] ?? "", ...(open[2] ? { file: open[2] } : {}), code: body.join("\n") });
  }
  return out;
}

const pages = readdirSync(GUIDE).filter((f) => f.endsWith(".md")).sort();
// The root README's example follows the guide and is held to the same standard.
const blocks = [...pages.flatMap((p) => blocksOf(p)), ...blocksOf("README.md", ROOT).map((b) => ({ ...b, page: "../../README.md" }))];
const work = mkdtempSync(join(ROOT, "node_modules/.cache-tscni-guide-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("docs/guide", () => {
  test("has the pages the guide promises, each with code", () => {
    expect(pages).toEqual(expect.arrayContaining(["README.md", "first-plugin.md", "testing.md", "errors.md", "config-schemas.md", "chained.md", "ipam.md", "shipping.md"]));
    for (const page of pages.filter((p) => p !== "README.md")) expect(blocks.some((b) => b.page === page), page).toBe(true);
  });

  test("links between pages point at pages that exist, and none leaves the repository", () => {
    for (const page of pages) {
      const text = readFileSync(join(GUIDE, page), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)]+)\)/g)) {
        expect(target, `${page}: ${target}`).not.toMatch(/^[a-z]+:/);
        expect(pages, `${page}: ${target}`).toContain((target ?? "").split("#")[0]);
      }
    }
  });

  test("every json block parses", () => {
    for (const b of blocks.filter((x) => x.lang === "json")) {
      expect(() => JSON.parse(b.code), `${b.page}:${b.line}`).not.toThrow();
    }
  });

  test("every ts block compiles under the repository's strict options", () => {
    const tsBlocks = blocks.filter((b) => b.lang === "ts");
    expect(tsBlocks.some((b) => b.page === "../../README.md")).toBe(true);
    expect(tsBlocks.length).toBeGreaterThan(10);
    const seen = new Map<string, string>();
    const files = tsBlocks.map((b, i) => {
      const rel = b.file ?? `snippets/${b.page.replace(/\.md$/, "").replace(/\W+/g, "-")}-${i}.ts`;
      const prior = seen.get(rel);
      if (prior) throw new Error(`${b.page}:${b.line}: ${rel} is already the block at ${prior}`);
      seen.set(rel, `${b.page}:${b.line}`);
      const path = join(work, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${b.code}\n`);
      return path;
    });
    writeFileSync(join(work, "package.json"), JSON.stringify({ type: "module" }));
    const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const program = ts.createProgram(files, { ...options, noEmit: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] });
    const where = new Map(files.map((f, i) => [f, `${tsBlocks[i]!.page}:${tsBlocks[i]!.line} (${f.slice(work.length + 1)})`]));
    // The packages' own sources (reached through the "source" condition) are type-checked by `npm run typecheck`.
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => !d.file || d.file.fileName.startsWith(work))
      .map((d) => {
        const at = d.file ? `${where.get(d.file.fileName) ?? d.file.fileName} line ${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "";
        return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(problems).toEqual([]);
  });
});
