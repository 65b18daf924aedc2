import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";

// The dependency direction is part of the design: a plugin that does not
// delegate must not carry exec code, and the runtime side must not reach into
// skel. These tests read every package's manifest and sources.
const root = resolve(import.meta.dirname, "..");

const allowed: Record<string, string[]> = {
  types: [],
  version: ["types"],
  skel: ["types", "version"],
  invoke: ["types", "version"],
  libcni: ["types", "version", "invoke"],
  cnitool: ["types", "version", "invoke", "libcni"],
  netns: ["types"],
  // nftables through `nft`, run inside a namespace the way netns runs `ip`.
  nft: ["types", "netns"],
  ipam: ["types", "etcd"],
  // etcd's JSON gateway over node:http/https; no SDK package beyond the error type.
  etcd: ["types"],
  bundle: [],
  // The checker judges plugins built on the SDK, so it validates with its own schemas, not the SDK's.
  conformance: ["types"],
};

// A plugin bundle pays at every exec for what it imports: no plugin may pull in the runtime side.
const forbiddenInPlugins = ["libcni", "cnitool", "bundle", "conformance"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

function importedWorkspacePackages(pkg: string): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(join(root, "packages", pkg, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+["']@tscni\/([\w-]+)/g)) found.add(m[1]!);
  }
  return found;
}

describe("dependency direction", () => {
  test.each(Object.keys(allowed))("@tscni/%s imports only what it may", (pkg) => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
    const declared = Object.keys(manifest.dependencies ?? {})
      .filter((d) => d.startsWith("@tscni/"))
      .map((d) => d.slice("@tscni/".length));
    expect(declared.filter((d) => !allowed[pkg]!.includes(d))).toEqual([]);
    const imported = [...importedWorkspacePackages(pkg)];
    expect(imported.filter((d) => !allowed[pkg]!.includes(d))).toEqual([]);
    // Every workspace import is declared, so a published package installs what it needs.
    expect(imported.filter((d) => !declared.includes(d))).toEqual([]);
  });

  test("every package is in the table above", () => {
    expect(readdirSync(join(root, "packages")).filter((p) => !(p in allowed))).toEqual([]);
  });

  test.each(readdirSync(join(root, "examples")))("example %s imports no runtime-side package", (ex) => {
    const manifest = JSON.parse(readFileSync(join(root, "examples", ex, "package.json"), "utf8"));
    const deps = Object.keys(manifest.dependencies ?? {}).map((d) => d.replace("@tscni/", ""));
    expect(deps.filter((d) => forbiddenInPlugins.includes(d))).toEqual([]);
  });

  test("every package has a README and an exports map", () => {
    for (const pkg of readdirSync(join(root, "packages"))) {
      const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
      expect(manifest.exports?.["."], pkg).toBeDefined();
      expect(statSync(join(root, "packages", pkg, "README.md")).isFile(), pkg).toBe(true);
    }
  });
});
