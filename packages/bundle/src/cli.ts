import { parseArgs } from "node:util";
import { guardClosedOutput } from "./cli-output.js";
import { BundleError } from "./errors.js";
import { buildExecutable, DEFAULT_INTERPRETER } from "./executable.js";
import { install } from "./install.js";
import { buildSea, DEFAULT_SEA_STARTUP, type SeaStartup } from "./sea.js";

const USAGE = `Usage:
  cni-bundle build ENTRY -o OUT [options]            one plugin -> one executable
  cni-bundle build --applet NAME=ENTRY... -o OUT     multi-call executable + NAME links beside OUT
  cni-bundle install --to DIR FILE... [--link NAME...]

build options:
  --interpreter LINE      #! line of a script bundle (default "${DEFAULT_INTERPRETER}"; or e.g. /usr/local/bin/node)
  --code-cache            also write OUT.v8cache, a V8 code cache the script bundle starts faster with
                          (made with --node, which must be the Node the #! line runs; ignored by any other)
  --sea                   a Node single executable application instead (no Node on the host)
  --node PATH             Node binary embedded in a SEA, or making a --code-cache (default: the one running cni-bundle)
  --startup MODE          SEA start-up: warm-code-cache | code-cache | snapshot | none (default ${DEFAULT_SEA_STARTUP})
  --no-strip              keep symbols in the SEA's Node copy
  --no-links              multi-call: do not create the NAME links
  --allow-no-plugin-main  accept an entry that never calls pluginMain (a program, not a plugin)
  --eager-builtins        load child_process, net, crypto... at start-up as written, not on first use

Every file is written to a temporary name in its directory, fsynced and renamed:
a runtime exec'ing it meanwhile sees the old file or the new one.`;

class UsageError extends Error {}

function parseApplets(specs: readonly string[]): Record<string, string> {
  const applets: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--applet ${JSON.stringify(spec)}: expected NAME=ENTRY`);
    const name = spec.slice(0, eq);
    if (Object.hasOwn(applets, name)) throw new UsageError(`--applet ${name} given twice`);
    applets[name] = spec.slice(eq + 1);
  }
  return applets;
}

async function buildCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      applet: { type: "string", multiple: true },
      interpreter: { type: "string" },
      sea: { type: "boolean" },
      "code-cache": { type: "boolean" },
      node: { type: "string" },
      startup: { type: "string" },
      "no-strip": { type: "boolean" },
      "no-links": { type: "boolean" },
      "allow-no-plugin-main": { type: "boolean" },
      "eager-builtins": { type: "boolean" },
    },
  });
  if (!values.out) throw new UsageError("missing -o OUT");
  const applets = values.applet?.length ? parseApplets(values.applet) : undefined;
  if (applets && positionals.length) throw new UsageError("give either ENTRY or --applet NAME=ENTRY, not both");
  if (!applets && positionals.length !== 1) throw new UsageError(`expected exactly one ENTRY, got ${positionals.length}`);
  if (!values.sea && (values.startup || values["no-strip"])) throw new UsageError("--startup and --no-strip apply to --sea builds");
  if (!values.sea && values.node && !values["code-cache"]) throw new UsageError("--node applies to --sea and --code-cache builds");
  if (values.sea && values["code-cache"]) throw new UsageError("--code-cache applies to script bundles; a SEA has its own (--startup)");
  if (values.sea && values.interpreter) throw new UsageError("--interpreter applies to script bundles; a SEA carries its own Node");
  const source = {
    ...(applets ? { applets } : { entry: positionals[0] as string }),
    outFile: values.out,
    ...(values["allow-no-plugin-main"] ? { requirePluginMain: false } : {}),
    ...(values["no-links"] ? { links: false } : {}),
    ...(values["eager-builtins"] ? { lazyBuiltins: false } : {}),
  };
  const built = values.sea
    ? await buildSea({
        ...source,
        ...(values.node ? { node: values.node } : {}),
        ...(values.startup ? { startup: values.startup as SeaStartup } : {}),
        ...(values["no-strip"] ? { strip: false } : {}),
      })
    : await buildExecutable({
        ...source,
        ...(values.interpreter ? { interpreter: values.interpreter } : {}),
        ...(values["code-cache"] ? { codeCache: true } : {}),
        ...(values.node ? { node: values.node } : {}),
      });
  const links = built.links.length ? ` (links: ${built.links.map((l) => l.slice(l.lastIndexOf("/") + 1)).join(", ")})` : "";
  const cache = built.codeCache ? `, ${built.codeCache.path} ${(built.codeCache.bytes / 1024).toFixed(1)} KB` : "";
  const marker = built.scopeMarker ? `, ${built.scopeMarker} ({"type": "commonjs"}: the project is "type": "module")` : "";
  process.stdout.write(`wrote ${built.path} ${(built.bytes / 1024).toFixed(1)} KB${links}${cache}${marker}\n`);
}

async function installCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { to: { type: "string" }, link: { type: "string", multiple: true } },
  });
  if (!values.to) throw new UsageError("missing --to DIR");
  const done = await install({ files: positionals, to: values.to, ...(values.link ? { links: values.link } : {}) });
  for (const f of [...done.files, ...done.codeCaches, ...done.links]) process.stdout.write(`installed ${f}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "build") await buildCommand(rest);
    else if (command === "install") await installCommand(rest);
    else if (command === "-h" || command === "--help" || command === "help") process.stdout.write(`${USAGE}\n`);
    else throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : "missing command");
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"))) {
      process.stderr.write(`cni-bundle: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof BundleError) {
      process.stderr.write(`cni-bundle: ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`cni-bundle: unexpected failure: ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

const exitWith = guardClosedOutput("cni-bundle");
main(process.argv.slice(2)).then(exitWith, (e: unknown) => {
  // main() answers every failure itself; this only keeps a bug in that answer from going unseen.
  process.stderr.write(`cni-bundle: unexpected failure: ${(e as Error)?.message ?? String(e)}\n`);
  exitWith(1);
});
