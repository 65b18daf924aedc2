import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatJson, formatJunit, formatText } from "./report.js";
import { execFileSync } from "node:child_process";
import { uniqueNamespacePrefix } from "./namespaces.js";
import { runConformance } from "./run.js";
import { guardClosedOutput } from "@tscni/types/cli-output";

const USAGE = `usage: cni-conformance <plugin-binary> [--config FILE] [--versions V,V...] [--netns]
                       [--chained | --ipam] [--json | --junit FILE] [--timeout MS] [--ifname NAME] [--cni-path DIRS]

Execs the plugin as a CNI runtime would and checks it against the CNI spec.
  --config FILE   the plugin's network configuration (cniVersion and name are replaced per run)
  --versions      spec versions to test (default: every version the plugin claims)
  --netns         run in throwaway network namespaces (root) and check ADD/CHECK/DEL against them
  --chained       the plugin runs after an interface plugin: every ADD/CHECK/DEL gets a prevResult
                  (with --netns, for a veth pair the checker really makes) and must keep it
  --ipam          the plugin is an IPAM plugin: check distinct addresses, release on DEL, GC
  --json          the report as JSON on stdout
  --junit FILE    also write a JUnit XML report
  --timeout MS    kill a plugin exec after MS milliseconds (default 10000)
  --ifname NAME   CNI_IFNAME (default eth0)
  --cni-path DIRS CNI_PATH (default: the plugin's directory)
Exit status: 0 when no check failed, 1 when one did, 2 on bad usage.`;

function usage(msg: string): never {
  process.stderr.write(`cni-conformance: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        config: { type: "string" },
        versions: { type: "string", multiple: true },
        netns: { type: "boolean", default: false },
        chained: { type: "boolean", default: false },
        ipam: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        junit: { type: "string" },
        timeout: { type: "string" },
        ifname: { type: "string" },
        "cni-path": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    usage((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) usage("give exactly one plugin binary");
  let config: Record<string, unknown> | undefined;
  if (values.config) {
    try {
      const doc: unknown = JSON.parse(readFileSync(values.config, "utf8"));
      if (doc === null || typeof doc !== "object" || Array.isArray(doc)) usage(`${values.config}: not a JSON object`);
      config = doc as Record<string, unknown>;
    } catch (e) {
      usage(`--config ${values.config}: ${(e as Error).message}`);
    }
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) usage(`--timeout ${values.timeout}: not a positive integer`);
  const versions = values.versions?.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  const bad = versions?.filter((v) => !/^\d+\.\d+\.\d+$/.test(v));
  if (bad?.length) usage(`--versions: not a version: ${bad.join(", ")}`);
  if (values.chained && values.ipam) usage("--chained and --ipam describe different kinds of plugin: give one");
  if (values.netns && process.getuid?.() !== 0) usage("--netns needs root (it creates network namespaces)");

  const namespacePrefix = uniqueNamespacePrefix();
  if (values.netns) cleanUpOnSignal(namespacePrefix);
  else if (process.getuid?.() === 0) {
    process.stderr.write("cni-conformance: without --netns the plugin runs in this network namespace; use --netns for plugins that change the network\n");
  }
  const report = await runConformance({
    namespacePrefix,
    binary: resolve(positionals[0] as string),
    ...(config ? { config } : {}),
    ...(versions?.length ? { versions } : {}),
    netns: values.netns,
    chained: values.chained,
    ipam: values.ipam,
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(values.ifname ? { ifname: values.ifname } : {}),
    ...(values["cni-path"] ? { cniPath: values["cni-path"] } : {}),
  });
  process.stdout.write(values.json ? formatJson(report) : formatText(report));
  if (values.junit) writeFileSync(values.junit, formatJunit(report));
  return report.summary.failed ? 1 : 0;
}

/** Interrupted mid-run, the namespaces made so far are deleted before exiting. */
function cleanUpOnSignal(prefix: string): void {
  const handler = (signal: NodeJS.Signals): void => {
    try {
      const names = execFileSync("ip", ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .split("\n")
        .map((l) => l.split(" ")[0] ?? "")
        .filter((n) => n.startsWith(`${prefix}-`));
      for (const n of names) execFileSync("ip", ["netns", "del", n], { stdio: "ignore" });
    } finally {
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

const exitWith = guardClosedOutput("cni-conformance");
main().then(exitWith, (e: unknown) => {
  process.stderr.write(`cni-conformance: ${(e as Error)?.stack ?? String(e)}\n`);
  exitWith(2);
});
