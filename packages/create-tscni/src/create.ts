/**
 * Copies a template (shipped in this package's templates/ directory) into a new
 * project directory. No runtime dependencies: node:fs and plain string
 * replacement of two placeholders, `__NAME__` and `__TSCNI_VERSION__`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const TEMPLATES = ["interface", "chained", "ipam"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** A mistake of the caller's (bad flag, occupied directory): the CLI exits 2 with its message. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CreateOptions {
  /** The directory to create (or an empty one to fill). */
  dir: string;
  template: TemplateName;
  /** The plugin's name: its binary, its `type` in a network config, its package name. Default: the directory's name. */
  name?: string | undefined;
}

export interface CreatedProject {
  dir: string;
  name: string;
  template: TemplateName;
  /** The @tscni/* version the project depends on: this generator's own. */
  version: string;
  files: string[];
}

// src/create.ts and dist/create.js are both one level below the package root.
const packageRoot = fileURLToPath(new URL("..", import.meta.url));

function ownVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error(`${join(packageRoot, "package.json")} has no version`);
  return manifest.version;
}

/**
 * Why `name` cannot name a plugin, or undefined. It becomes a file name in the
 * runtime's plugin directory, a config's `type` and an npm package name, so it
 * takes the intersection: lower case letters, digits, `-`, `_` and `.`, not
 * starting with `.` or `_`, at most 64 characters.
 */
export function packageNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
    return `"${name}" is not a plugin name: use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit`;
  }
  return undefined;
}

/** Files a template ships under another name because npm pack drops or rewrites them. */
const RENAMED: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc" };
/** Files whose text gets the placeholders replaced. */
const TEXT = /\.(json|ts|js|md|conflist|ya?ml)$|^_gitignore$/;

function copyTree(from: string, to: string, replace: (text: string) => string, out: string[], rel = ""): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const targetName = RENAMED[entry.name] ?? entry.name;
    const target = join(to, targetName);
    const relPath = rel ? `${rel}/${targetName}` : targetName;
    if (entry.isDirectory()) {
      copyTree(source, target, replace, out, relPath);
    } else if (TEXT.test(entry.name)) {
      writeFileSync(target, replace(readFileSync(source, "utf8")), { flag: "wx" });
      out.push(relPath);
    } else {
      copyFileSync(source, target);
      out.push(relPath);
    }
  }
}

export function createProject(options: CreateOptions): CreatedProject {
  const dir = resolve(options.dir);
  if (!(TEMPLATES as readonly string[]).includes(options.template)) {
    throw new UsageError(`unknown template "${options.template}": use one of ${TEMPLATES.join(", ")}`);
  }
  const name = options.name ?? basename(dir);
  const problem = packageNameProblem(name);
  if (problem) throw new UsageError(`${problem}${options.name === undefined ? ` (taken from the directory; pass --name)` : ""}`);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a directory`);
    const present = readdirSync(dir).filter((f) => f !== ".git");
    if (present.length > 0) {
      throw new UsageError(`${dir} is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}): choose a new directory`);
    }
  }
  const version = ownVersion();
  const files: string[] = [];
  const replace = (text: string): string => text.replaceAll("__NAME__", name).replaceAll("__TSCNI_VERSION__", version);
  // What every template shares (tsconfig, linter config, the conformance script), then the template itself.
  copyTree(join(packageRoot, "templates", "_common"), dir, replace, files);
  copyTree(join(packageRoot, "templates", options.template), dir, replace, files);
  return { dir, name, template: options.template, version, files: files.sort() };
}
