import { existsSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SHIM_FILE_NAME } from "@tscni/daemon/shim-config";
import { type Form, FORMS, MULTICALL_NAME } from "./binaries.js";
import { type ConfigSource, DEFAULT_CONF_NAME, expectsList, readConfigSource } from "./config.js";
import { checkPlainName, messageOf, UsageError } from "./errors.js";
import { loadDaemon } from "./daemon.js";
import { installNode, type NodeInstallOptions } from "./install.js";
import { uninstallNode } from "./uninstall.js";
import { watchNode } from "./watch.js";

const USAGE = `usage:
  tscni install   --bin-dir DIR --conf-dir DIR [--conf FILE | --conf-json JSON] [--conf-name ${DEFAULT_CONF_NAME}]
                  [--old-conf-name NAME]... [--plugins a,b,...] [--form bundle|sea] [--from DIR] [--sea FILE]
                  [--watch [--watch-interval SECONDS]] [--daemon-socket PATH]
  tscni uninstall --bin-dir DIR --conf-dir DIR [--conf-name NAME]... [--plugins a,b,...] [--socket-dir DIR]
  tscni daemon    [daemon options]
exit status: 0 done, 1 failed, 2 usage`;

/** The directory this CLI was started from: in a build or an image, the plugin bundles sit beside it. */
function ownDirectory(): string {
  const self = process.argv[1] ?? ".";
  try {
    return dirname(realpathSync(self));
  } catch {
    return dirname(resolve(self));
  }
}

function required(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${flag} is required`);
  return v;
}

function pluginList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError("--plugins is empty");
  return names.map((n) => checkPlainName("--plugins entry", n));
}

async function install(argv: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      "bin-dir": { type: "string" },
      "conf-dir": { type: "string" },
      conf: { type: "string" },
      "conf-json": { type: "string" },
      "conf-name": { type: "string", default: DEFAULT_CONF_NAME },
      "old-conf-name": { type: "string", multiple: true, default: [] },
      plugins: { type: "string" },
      form: { type: "string", default: "bundle" },
      from: { type: "string" },
      sea: { type: "string" },
      watch: { type: "boolean", default: false },
      "watch-interval": { type: "string", default: "10" },
      "daemon-socket": { type: "string" },
    },
  });
  const binDir = resolve(required(values, "bin-dir"));
  const confDir = resolve(required(values, "conf-dir"));
  if (values.conf !== undefined && values["conf-json"] !== undefined) throw new UsageError("give --conf or --conf-json, not both");
  if (!FORMS.includes(values.form as Form)) throw new UsageError(`--form must be one of ${FORMS.join(", ")}, not ${JSON.stringify(values.form)}`);
  const interval = Number(values["watch-interval"]);
  if (!Number.isFinite(interval) || interval < 1) throw new UsageError(`--watch-interval must be a number of seconds >= 1, not ${JSON.stringify(values["watch-interval"])}`);
  const confName = checkPlainName("--conf-name", values["conf-name"]);
  expectsList(confName);
  const oldConfNames = values["old-conf-name"].map((n) => checkPlainName("--old-conf-name", n));
  const plugins = pluginList(values.plugins);
  let conf: ConfigSource | undefined;
  if (values.conf !== undefined) conf = await readConfigSource(values.conf);
  if (values["conf-json"] !== undefined) conf = { text: values["conf-json"], origin: "--conf-json" };

  const from = resolve(values.from ?? ownDirectory());
  const options: NodeInstallOptions = {
    binDir,
    confDir,
    confName,
    oldConfNames,
    form: values.form as Form,
    bundleDir: from,
    seaFile: resolve(values.sea ?? join(from, "..", "sea", MULTICALL_NAME)),
    // A build directory carries its own shim; plugins from elsewhere get the one beside this CLI.
    shimFile: existsSync(join(from, SHIM_FILE_NAME)) ? join(from, SHIM_FILE_NAME) : join(ownDirectory(), SHIM_FILE_NAME),
    ...(conf && { conf }),
    ...(plugins && { plugins }),
    ...(values["daemon-socket"] !== undefined && { daemonSocket: resolve(values["daemon-socket"]) }),
  };
  const actions: string[] = [];
  try {
    await installNode(options, actions);
  } finally {
    // Also on failure: the binaries that went in before the config was refused are named.
    for (const a of actions) log(a);
  }
  log(actions.length ? `install done: ${actions.length} change(s) in ${binDir}${conf ? ` and ${confDir}` : ""}` : "install done: everything already in place");
  if (!values.watch) return 0;

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  log(`watching ${binDir}${conf ? ` and ${confDir}` : ""} (events, and a check every ${interval} s)`);
  await watchNode(options, { intervalMs: interval * 1000, signal: stop.signal, log });
  // The config stays: removing it on a restart would leave the node without its network (see docs/guide/deploying.md).
  log("stopped watching; the installed files stay in place");
  return 0;
}

async function uninstall(argv: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      "bin-dir": { type: "string" },
      "conf-dir": { type: "string" },
      "conf-name": { type: "string", multiple: true, default: [] },
      plugins: { type: "string" },
      "socket-dir": { type: "string" },
    },
  });
  const confNames = values["conf-name"].length ? values["conf-name"] : [DEFAULT_CONF_NAME];
  const plugins = pluginList(values.plugins);
  const actions = await uninstallNode({
    binDir: resolve(required(values, "bin-dir")),
    confDir: resolve(required(values, "conf-dir")),
    confNames: confNames.map((n) => checkPlainName("--conf-name", n)),
    ...(plugins && { plugins }),
    ...(values["socket-dir"] !== undefined && { socketDir: resolve(values["socket-dir"]) }),
  });
  for (const a of actions) log(a);
  log(actions.length ? `uninstall done: ${actions.length} removal(s)` : "uninstall done: nothing was installed");
  return 0;
}

/** Runs one command; never throws. */
export async function runCli(argv: string[], log: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "install":
        return await install(rest, log);
      case "uninstall":
        return await uninstall(rest, log);
      case "daemon": {
        const { daemonMain } = await loadDaemon();
        return await daemonMain(rest);
      }
      case "help":
      case "--help":
      case "-h":
        log(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? "no command given" : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`tscni ${command ?? ""}: ${messageOf(e)}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`tscni ${command}: ${messageOf(e).replace(/\s*\n\s*/g, " ")}\n`);
    return 1;
  }
}
