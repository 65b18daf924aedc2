import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";

// The dependency direction is part of the design: a plugin that does not
// delegate must not carry exec code, and the runtime side must not reach into
// skel. These tests read every package's manifest and sources.
const root = resolve(import.meta.dirname, "..");
// Directories only: packages/ also holds a .gitignore.
const packageDirs = readdirSync(join(root, "packages")).filter((p) => statSync(join(root, "packages", p)).isDirectory());

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
  // The daemon runs each plugin bundle's own dispatch (skel's capture hook) and hosts delegates in process (invoke's hook).
  daemon: ["types", "version", "skel", "invoke"],
  // The starter-project generator has no dependencies at all: templates name @tscni/* in their own package.json.
  "create-tscni": [],
  // The node installer: bundle's atomic writes, libcni's config parsing, version's VERSION decoding; daemon (loaded
  // only by `tscni daemon` and --daemon-socket) and invoke for daemon mode.
  tscni: ["types", "version", "invoke", "libcni", "bundle", "daemon"],
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
    expect(packageDirs.filter((p) => !(p in allowed))).toEqual([]);
  });

  test.each(readdirSync(join(root, "examples")))("example %s imports no runtime-side package", (ex) => {
    const manifest = JSON.parse(readFileSync(join(root, "examples", ex, "package.json"), "utf8"));
    const deps = Object.keys(manifest.dependencies ?? {}).map((d) => d.replace("@tscni/", ""));
    expect(deps.filter((d) => forbiddenInPlugins.includes(d))).toEqual([]);
  });

  test("every package has a README and an exports map", () => {
    for (const pkg of packageDirs) {
      const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"));
      expect(manifest.exports?.["."], pkg).toBeDefined();
      expect(statSync(join(root, "packages", pkg, "README.md")).isFile(), pkg).toBe(true);
    }
  });
});

// The CNI name rules (container ID, network name, interface name) live in
// @tscni/types/names only, so skel, libcni and netns cannot drift apart again.
// A static look at the sources: the ID character set as the spec spells it,
// a character class with both "/" and ":" next to whitespace (the
// interface-name set), a regex bound to a name that says it is one of these,
// or a function of the same name as the rules'.
const nameRuleSigns: [what: string, pattern: RegExp][] = [
  ["the container ID / network name character set", /\[a-zA-Z0-9\]\[a-zA-Z0-9_\.\\?-\]/],
  ["an interface-name character class", /(?<=[=(,]\s*)\/\[(?=[^\]\n]*\/)(?=[^\]\n]*:)(?=[^\]\n]*(?:\\s|\\t|\\u0085|\\u00a0))[^\]\n]*\]/],
  ["a regex named for a CNI name", /\b\w*(?:IFNAME|IF_NAME|CONTAINER_?ID|NETWORK_NAME|CNI_NAME)\w*\s*=\s*(?:\/|new RegExp)/i],
  ["a rule function of the same name", /function\s+(?:validateContainerId|validateNetworkName|validateInterfaceName|interfaceNameProblem)\b/],
];

function nameRuleFindings(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return nameRuleSigns.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${file.slice(root.length + 1)}: ${what}`);
}

describe("one place for the CNI name rules", () => {
  const rulesModule = join(root, "packages/types/src/names.ts");

  test("the check recognises the rules where they live", () => {
    expect(nameRuleFindings(rulesModule)).toHaveLength(nameRuleSigns.length);
  });

  test("no name or ID rule outside @tscni/types/names", () => {
    const dirs = [
      ...packageDirs.map((p) => join(root, "packages", p, "src")),
      ...readdirSync(join(root, "examples")).map((e) => join(root, "examples", e, "src")),
    ];
    const files = dirs.filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory()).flatMap(sourceFiles);
    expect(files.filter((f) => f !== rulesModule).flatMap(nameRuleFindings)).toEqual([]);
  });
});

// The shape starter templates copy: `plugin.ts` holds the definition, `main.ts` binds it to the process and does
// nothing else, `config.ts` holds the options (a schema reaches skel only through `lazySchema`, so VERSION never
// builds it), and each handler lives in the file named after its verb.
const VERBS = ["add", "del", "check", "gc", "status"] as const;

describe("plugin skeleton", () => {
  const examples = readdirSync(join(root, "examples")).filter((ex) => statSync(join(root, "examples", ex, "src")).isDirectory());
  const read = (ex: string, file: string) => readFileSync(join(root, "examples", ex, "src", file), "utf8");
  const code = (text: string) =>
    text
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .split("\n")
      .map((l) => l.replace(/\/\/.*$/, "").trim())
      .filter((l) => l !== "");

  test.each(examples)("%s: main.ts is one call of pluginMain on the plugin from plugin.ts", (ex) => {
    const lines = code(read(ex, "main.ts"));
    expect(lines.filter((l) => !l.startsWith("import "))).toEqual([expect.stringMatching(/^void pluginMain\(\w+Plugin\);$/)]);
    expect(lines.filter((l) => l.startsWith("import "))).toEqual([
      expect.stringMatching(/^import \{ pluginMain \} from "@tscni\/skel";$/),
      expect.stringMatching(/^import \{ \w+Plugin \} from "\.\/plugin\.js";$/),
    ]);
  });

  test.each(examples)("%s: plugin.ts defines the plugin; each handler comes from its own file", (ex) => {
    const plugin = read(ex, "plugin.ts");
    expect(plugin).toMatch(/export const \w+Plugin = definePlugin\(\{/);
    // The handlers stand on one line of shorthand properties: `add, del, check, gc, status,`.
    const handlerLine = /definePlugin\(\{\n\s+((?:\w+, )*\w+),$/m.exec(plugin)?.[1] ?? "";
    const handlers = VERBS.filter((verb) => handlerLine.split(", ").includes(verb));
    expect(handlers).toEqual(expect.arrayContaining(["add", "del"]));
    for (const verb of handlers) {
      expect(plugin, `${ex}: ${verb}`).toContain(`import { ${verb} } from "./${verb}.js";`);
      expect(read(ex, `${verb}.ts`), `${ex}/src/${verb}.ts`).toMatch(new RegExp(`^export (async )?function ${verb}\\(`, "m"));
    }
    // No handler hides in another verb's file (gc in status.ts).
    for (const file of readdirSync(join(root, "examples", ex, "src"))) {
      for (const m of read(ex, file).matchAll(/^export (?:async )?function (add|del|check|gc|status)\(/gm)) {
        expect(`${m[1]}.ts`, `${ex}/src/${file} exports ${m[1]}`).toBe(file);
      }
    }
  });

  test.each(examples)("%s: config.ts holds the options; a schema is built lazily and its type exported", (ex) => {
    const plugin = read(ex, "plugin.ts");
    const config = read(ex, "config.ts");
    // Every example has the file and names its config type, schema or not (loopback reads the standard fields only).
    expect(config).toMatch(/^export type \w+Config = /m);
    const option = /^\s+config: (.+),$/m.exec(plugin)?.[1];
    if (option === undefined) return;
    const builder = /^lazySchema\((\w+)\)$/.exec(option)?.[1];
    expect(builder, `${ex}: config: ${option}`).toBeDefined();
    expect(config).toMatch(new RegExp(`^export function ${builder}\\(`, "m"));
    expect(config).toMatch(/^export type \w+Config = /m);
  });
});
