/**
 * The whole plugin side of the CNI protocol, in process: environment, stdin,
 * version rules, config validation, the handler, and the one document on
 * stdout. The shape of Go's dispatcher, with env, stdin, stdout and stderr
 * injected, so tests drive it directly and `pluginMain` only binds a process.
 */
import { CURRENT_VERSION, CniError, ErrorCode, toCniError } from "@tscni/types";
import { validateNetConf } from "@tscni/types/internal";
import type { Attachment, NetConf, Result, Verb } from "@tscni/types";
import type { IssueLike } from "@tscni/types/internal";
import {
  checkVerbAllowed,
  configVersionOf,
  declaredVersionInfo,
  newestSupported,
  reconcile,
  versionAnswer,
} from "@tscni/version";
import type { PluginInfo } from "@tscni/version";
import { envArgs, isValidIdentifier, netnsOverrideSet, readEnvironment } from "./env.js";
import type { EnvValues } from "./env.js";
import { createLogger, isLogLevel } from "./logger.js";
import type { Logger, LogLevel } from "./logger.js";
import { InvalidConfigError, delWithInvalidConfig, runsInvalidConfigDel } from "./invalid-config-del.js";
import { OWN_NETNS_PATH, refuseOwnNetns } from "./own-netns.js";
import type { AnyPlugin, CmdArgs, PluginHandlers } from "./plugin.js";
import { preparePrevResult, resultToPrint } from "./results.js";
import { readAll, readOptional } from "./stdin.js";
import type { StdinSource } from "./stdin.js";

export interface DispatchIO {
  /** The process environment (only CNI_* and the log variables are read). */
  env: Readonly<Record<string, string | undefined>>;
  stdin: StdinSource;
  /** Receives the single JSON document, in one call, or nothing. */
  stdout: (chunk: string) => void;
  /** Receives the about text and log lines. */
  stderr: (chunk: string) => void;
  /** The namespace the plugin runs in; tests point it elsewhere. Default /proc/self/ns/net. */
  ownNetnsPath?: string;
  /** Rejects when the process hits an uncaught error; the running handler then fails with it. */
  fatal?: Promise<never>;
}

/** The verb table: one path serves every verb; a row says how the path differs. */
interface VerbRule {
  handler: keyof PluginHandlers;
  /** Prints the ADD result; every other verb prints nothing on success. */
  printsResult: boolean;
  /** Refuse a CNI_NETNS that is the plugin's own namespace before the handler runs. */
  netnsGuard: boolean;
  /** Only these verbs get `cni.dev/valid-attachments`. */
  readsAttachments: boolean;
}

const VERB_TABLE: Readonly<Record<Exclude<Verb, "VERSION">, VerbRule>> = {
  ADD: { handler: "add", printsResult: true, netnsGuard: true, readsAttachments: false },
  CHECK: { handler: "check", printsResult: false, netnsGuard: true, readsAttachments: false },
  DEL: { handler: "del", printsResult: false, netnsGuard: true, readsAttachments: false },
  GC: { handler: "gc", printsResult: false, netnsGuard: false, readsAttachments: true },
  STATUS: { handler: "status", printsResult: false, netnsGuard: false, readsAttachments: false },
};

function verbRule(command: string): VerbRule | undefined {
  return Object.hasOwn(VERB_TABLE, command) ? VERB_TABLE[command as keyof typeof VERB_TABLE] : undefined;
}

/** Checked before anything else: "1.0" would make VERSION answer a version no config matches (declaredVersionInfo). */
function pluginInfoOf(plugin: AnyPlugin): PluginInfo {
  return declaredVersionInfo(plugin.versions);
}

/** Lines on stderr when the binary is run by hand, without CNI_COMMAND. */
function aboutText(plugin: AnyPlugin, info: PluginInfo): string {
  const about = plugin.about || `CNI ${plugin.name ? `${plugin.name} ` : ""}plugin (built with tscni)`;
  return `${about}\nCNI protocol versions supported: ${info.supportedVersions.join(", ")}\n`;
}

function envLogLevel(env: DispatchIO["env"]): LogLevel | undefined {
  const level = env.CNI_LOG_LEVEL?.toLowerCase();
  return isLogLevel(level) ? level : undefined;
}

/**
 * Runs one CNI invocation and returns the exit status (0 or 1). Never throws:
 * every failure becomes one error object on stdout.
 */
export async function dispatch(plugin: AnyPlugin, io: DispatchIO): Promise<number> {
  const env = io.env;
  const logSettings = { file: env.CNI_LOG_FILE || undefined, level: envLogLevel(env) };
  let log = createLogger({ ...logSettings, plugin: plugin.name, verb: env.CNI_COMMAND, containerId: env.CNI_CONTAINERID, stderr: io.stderr });
  // The error object carries the config's version once it is known and supported.
  let errorVersion: string | undefined;
  let info: PluginInfo | undefined;
  try {
    info = pluginInfoOf(plugin);
    if (!env.CNI_COMMAND) {
      io.stderr(aboutText(plugin, info));
      return 0;
    }
    if (env.CNI_COMMAND === "VERSION") {
      const stdin = await readOptional(io.stdin);
      return emit(io, `${JSON.stringify(versionAnswer(info, stdin))}\n`, 0, log);
    }
    // stdin first (Go reads the environment first): a runtime writing stdin never meets a closed pipe, and
    // even an environment error is reported in the config's version.
    const stdin = await readAll(io.stdin);
    const decoded = decodeConfig(stdin);
    errorVersion = supportedConfigVersion(decoded, info);
    const values = readEnvironment(env);
    const rule = verbRule(values.command);
    if (!rule) throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${values.command}`);

    if (decoded instanceof CniError) throw decoded;
    const raw = decoded;
    const configVersion = configVersionOf(raw);
    checkNetworkName(raw.name);
    checkVerbAllowed(values.command, configVersion, info);
    reconcile(configVersion, info);

    let config: NetConf;
    try {
      config = await validateConfig(plugin, raw);
    } catch (e) {
      // Opt-in (invalid-config-del.ts): DEL still releases what it can find.
      if (!runsInvalidConfigDel(plugin, values.command, e)) throw e;
      return await delWithInvalidConfig({ plugin, values, raw, stdin, error: e, log, ownNetnsPath: io.ownNetnsPath });
    }
    const logLevel = logLevelFromConfig(config);
    log = createLogger({
      file: typeof config.logFile === "string" && config.logFile !== "" ? config.logFile : logSettings.file,
      level: logLevel ?? logSettings.level,
      plugin: plugin.name || config.type,
      verb: values.command,
      containerId: values.containerId,
      stderr: io.stderr,
    });
    const args = buildCmdArgs({ plugin, rule, values, config, stdin, configVersion, log });
    if (rule.netnsGuard && !netnsOverrideSet(values)) refuseOwnNetns(values.netns, io.ownNetnsPath ?? OWN_NETNS_PATH);

    const handler = plugin[rule.handler] as ((a: CmdArgs<NetConf, unknown>) => unknown) | undefined;
    if (typeof handler !== "function") {
      if (rule.handler === "add" || rule.handler === "del") {
        throw new CniError(ErrorCode.Internal, `the plugin has no ${values.command} handler`);
      }
      io.stderr(`CNI_COMMAND=${values.command} is not implemented by this plugin; reporting success\n`);
      return 0;
    }
    log.debug(`${values.command} started`, { netns: values.netns, ifName: values.ifName });
    const running = Promise.resolve().then(() => handler(args));
    const returned = await (io.fatal ? Promise.race([running, io.fatal]) : running);
    if (!rule.printsResult) return 0;
    const printed = resultToPrint(returned, configVersion);
    return emit(io, `${JSON.stringify(printed, null, 4)}\n`, 0, log);
  } catch (e) {
    const error = toCniError(e);
    if (error.code === ErrorCode.Internal && e instanceof Error && log.enabled("debug")) {
      log.debug(`unexpected error: ${e.stack ?? e.message}`);
    }
    log.info(`failed with code ${error.code}: ${error.message}`);
    const version = errorVersion ?? (info ? newestSupported(info) : CURRENT_VERSION);
    return emit(io, `${JSON.stringify(error.toObject(version), null, 4)}\n`, 1, log);
  }
}

/** The config's version when stdin has a readable one the plugin supports: the version errors are reported in. */
function supportedConfigVersion(decoded: Record<string, unknown> | CniError, info: PluginInfo): string | undefined {
  if (decoded instanceof CniError) return undefined;
  try {
    const version = configVersionOf(decoded);
    return info.supportedVersions.includes(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

/** The one write to stdout; if even that fails there is nothing left to print, so exit 1. */
function emit(io: DispatchIO, document: string, status: number, log: Logger): number {
  try {
    io.stdout(document);
    return status;
  } catch (e) {
    log.error(`cannot write to stdout: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

/**
 * stdin parsed once, into the config object or the decoding failure. The
 * failure is returned, not thrown: an environment error is reported first.
 */
function decodeConfig(stdin: string): Record<string, unknown> | CniError {
  if (stdin.trim() === "") {
    return new CniError(ErrorCode.DecodingFailure, "error decoding network configuration: stdin is empty", "the runtime must write the network configuration JSON to stdin");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(stdin);
  } catch (e) {
    return new CniError(ErrorCode.DecodingFailure, `error decoding network configuration: ${(e as Error).message}`);
  }
  // null passes here like in Go and then fails on its missing name (code 7).
  if (doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    return new CniError(
      ErrorCode.DecodingFailure,
      "error decoding network configuration: expected a JSON object",
      `got ${Array.isArray(doc) ? "an array" : typeof doc}`,
    );
  }
  return doc as Record<string, unknown>;
}

function checkNetworkName(name: unknown): void {
  if (name === undefined || name === null || name === "") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  }
  if (typeof name !== "string") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid network name", `name: expected string, got ${JSON.stringify(name)}`);
  }
  if (!isValidIdentifier(name)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
  }
}

function invalidConfig(issues: ReadonlyArray<IssueLike>, raw: unknown): CniError {
  return new InvalidConfigError(issues, raw);
}

/** The standard fields, then the plugin's own schema over the same object; its output wins on shared keys. */
async function validateConfig(plugin: AnyPlugin, raw: Record<string, unknown>): Promise<NetConf> {
  // Hand-written (same output and issues as netConfSchema()): building the zod schema would cost every exec (skel README, Cost).
  const standard = validateNetConf(raw);
  if (standard.issues) throw invalidConfig(standard.issues, raw);
  if (!plugin.config) return standard.value;
  const own = await plugin.config["~standard"].validate(raw);
  if (own.issues) throw invalidConfig(own.issues, raw);
  const value = own.value;
  return value !== null && typeof value === "object" ? { ...standard.value, ...(value as object) } : standard.value;
}

function logLevelFromConfig(config: NetConf): LogLevel | undefined {
  const level = config.logLevel;
  if (level === undefined) return undefined;
  if (!isLogLevel(level)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      "invalid network configuration",
      `logLevel: expected "error", "warn", "info" or "debug", got ${JSON.stringify(level)}`,
    );
  }
  return level;
}

function validAttachmentsOf(config: NetConf): Attachment[] {
  return config["cni.dev/valid-attachments"] ?? config["cni.dev/attachments"] ?? [];
}

interface Invocation {
  plugin: AnyPlugin;
  rule: VerbRule;
  values: EnvValues;
  config: NetConf;
  stdin: string;
  configVersion: string;
  log: Logger;
}

function buildCmdArgs({ plugin, rule, values, config, stdin, configVersion, log }: Invocation): CmdArgs<NetConf, unknown> {
  const prevResult: Result | undefined = preparePrevResult(config.prevResult, configVersion);
  return {
    ...envArgs(values, plugin),
    config,
    stdin,
    ...(prevResult && { prevResult }),
    runtimeConfig: config.runtimeConfig ?? {},
    validAttachments: rule.readsAttachments ? validAttachmentsOf(config) : [],
    log,
  };
}

