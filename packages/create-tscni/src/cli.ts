#!/usr/bin/env node
/**
 * create-tscni <dir> [--template interface|chained|ipam] [--name NAME]
 *
 * Reached by `npm create tscni@latest <dir> -- --template chained` (npm passes
 * options after `--`) and by `npx create-tscni <dir>`. Exit 0 on success, 2 on
 * a usage mistake (with the reason), 1 on anything else.
 */
import { writeSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { createProject, TEMPLATES, type TemplateName, UsageError } from "./create.js";

const USAGE = `usage: create-tscni <dir> [--template ${TEMPLATES.join("|")}] [--name NAME]

  --template, -t   interface: creates a veth pair into the container, delegates IPAM (default)
                   chained:   after an interface plugin; sets the container interface's MTU
                   ipam:      an IPAM plugin over @tscni/ipam's allocator and disk store
  --name           the plugin's name (binary, config "type", package name); default: <dir>'s name
`;

function run(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        template: { type: "string", short: "t", default: "interface" },
        name: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`create-tscni: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [dir, ...extra] = parsed.positionals;
  if (dir === undefined || extra.length > 0) {
    process.stderr.write(`create-tscni: ${dir === undefined ? "name the directory to create" : `one directory only, got ${parsed.positionals.join(" ")}`}\n${USAGE}`);
    return 2;
  }
  try {
    const project = createProject({ dir, template: parsed.values.template as TemplateName, name: parsed.values.name });
    const where = relative(process.cwd(), project.dir) || ".";
    process.stdout.write(
      `Created ${project.name} (${project.template} template, @tscni/* ${project.version}) in ${where}\n\n` +
        `Next:\n  cd ${where}\n  npm install\n  npm test\n  npm run build        # dist/${project.name}\n  npm run conformance\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`create-tscni: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`create-tscni: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = run(process.argv.slice(2));
// A closed stdout (`create-tscni x | head -0`): one line on stderr and exit 1, never a stack trace. No dependency
// for it (create-tscni has none): the rule of @tscni/types/cli-output's guardClosedOutput, inlined.
let lost = false;
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (!process.exitCode) process.exitCode = 1;
  if (lost) return;
  lost = true;
  try {
    writeSync(2, `create-tscni: cannot write to stdout (${e.code ?? e.message}): output lost\n`);
  } catch {
    // stderr is closed too
  }
});
process.stderr.on("error", () => {});
