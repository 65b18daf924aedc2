/**
 * What a plugin author writes: handlers and options. The config schema's
 * output type flows into every handler's `args.config`, the CNI_ARGS schema's
 * into `args.args`.
 */
import type { AnyResult, Attachment, InferOutput, NetConf, Result, StandardSchemaV1 } from "@tscni/types";
import type { IssueLike } from "@tscni/types/internal";
import type { CniError } from "@tscni/types";
import type { DeclaredVersions } from "@tscni/version";
import type { Logger } from "./logger.js";

/** What skel hands every handler. */
export interface CmdArgs<Config = NetConf, Args = Record<string, string>> {
  /** CNI_COMMAND: "ADD", "DEL", "CHECK", "GC" or "STATUS". */
  command: string;
  /** CNI_CONTAINERID; "" for GC and STATUS. */
  containerId: string;
  /** CNI_NETNS; may be "" on DEL (the namespace is gone) and is "" for GC and STATUS. */
  netns: string;
  /** CNI_IFNAME; "" for GC and STATUS. */
  ifName: string;
  /** CNI_ARGS parsed (by the plugin's `args` schema when it has one). */
  args: Args;
  /** CNI_ARGS as received. */
  rawArgs: string;
  /** CNI_PATH split on ':' with empty entries dropped: where delegated plugins are looked up. */
  path: string[];
  /** The standard NetConf fields merged with what the plugin's own config schema produced. */
  config: Config;
  /** stdin as received. */
  stdin: string;
  /** The config's prevResult, validated and converted up to the 1.1.0 model. */
  prevResult?: Result;
  /** The config's runtimeConfig ({} when absent). */
  runtimeConfig: Record<string, unknown>;
  /** GC: the attachments the runtime still uses (`cni.dev/valid-attachments`, else `cni.dev/attachments`); [] for other verbs. */
  validAttachments: Attachment[];
  /** Writes to stderr or the configured log file, never to stdout. */
  log: Logger;
}

/**
 * What ADD returns: the 1.1.0 model (cniVersion optional; skel sets the
 * config's), or a result of any spec version carrying its own cniVersion.
 */
export type ResultInput = (Omit<Result, "cniVersion"> & { cniVersion?: string }) | AnyResult;

type Awaitable<T> = T | Promise<T>;

export interface PluginHandlers<Config = NetConf, Args = Record<string, string>> {
  add: (args: CmdArgs<Config, Args>) => Awaitable<ResultInput>;
  del: (args: CmdArgs<Config, Args>) => Awaitable<void>;
  /** Without it CHECK succeeds with no output (Go's behaviour) and one line on stderr. */
  check?: ((args: CmdArgs<Config, Args>) => Awaitable<void>) | undefined;
  gc?: ((args: CmdArgs<Config, Args>) => Awaitable<void>) | undefined;
  status?: ((args: CmdArgs<Config, Args>) => Awaitable<void>) | undefined;
  /**
   * Opt-in (Go has no such thing): DEL for a config that fails validation (the standard fields or the `config`
   * schema) runs this instead of answering code 7, with the raw config and the issues, so the plugin can release
   * what it can find (an IPAM reservation by container ID and interface) from a conflist that went bad. Absent:
   * such a DEL is code 7, as in Go.
   */
  delWithInvalidConfig?: ((args: InvalidConfigDelArgs<Args>) => Awaitable<void>) | undefined;
}

/** What `delWithInvalidConfig` receives: CmdArgs with the config as decoded, unvalidated, and why it failed. */
export interface InvalidConfigDelArgs<Args = Record<string, string>> extends Omit<CmdArgs<Record<string, unknown>, Args>, "prevResult"> {
  /** The issues validation found, as the schema reported them (`path`, `message`). */
  configIssues: readonly IssueLike[];
  /** The code-7 error a DEL without this handler would have answered: for logging, or to throw after best effort. */
  configError: CniError;
}

/** A VERSION answer's source: `pluginSupports(...)` from @tscni/version, or a plain list; the spec's version strings only. */
export type SupportedVersions = DeclaredVersions;

export interface PluginOptions<ConfigSchema extends StandardSchemaV1 | undefined = undefined, ArgsSchema extends StandardSchemaV1 | undefined = undefined> {
  /** Spec versions the plugin supports; default every version the SDK knows. */
  versions?: SupportedVersions | undefined;
  /** Printed on stderr when the binary is run without CNI_COMMAND, e.g. "CNI bridge plugin v1.2.0". */
  about?: string | undefined;
  /** Names the plugin in log lines; default the config's `type`. */
  name?: string | undefined;
  /**
   * The plugin's own config schema (zod classic or mini, valibot: any Standard
   * Schema). It sees the whole stdin object; its output is merged over the
   * standard NetConf fields.
   */
  config?: ConfigSchema;
  /** Schema for CNI_ARGS values (all strings on input). */
  args?: ArgsSchema;
  /** Reject CNI_ARGS keys the args schema does not name (unless IgnoreUnknown=1). Default false. */
  strictArgs?: boolean | undefined;
  /**
   * How long skel waits, after a handler returns, for work it started and did not await (an `ip` run, a
   * delegate exec, an IPAM store operation) before answering; work that fails in that time, or is still running
   * at its end, makes the answer error 999 ("a promise was not awaited"). Default 2000.
   */
  pendingWorkTimeoutMs?: number | undefined;
}

export type ConfigOf<S> = S extends StandardSchemaV1 ? NetConf & InferOutput<S> : NetConf;
export type ArgsOf<S> = S extends StandardSchemaV1 ? InferOutput<S> : Record<string, string>;

/** Handlers and options in one object: what `dispatch` and `runPlugin` take. */
export type Plugin<ConfigSchema extends StandardSchemaV1 | undefined = undefined, ArgsSchema extends StandardSchemaV1 | undefined = undefined> =
  PluginHandlers<ConfigOf<ConfigSchema>, ArgsOf<ArgsSchema>> & PluginOptions<ConfigSchema, ArgsSchema>;

/** Any plugin, whatever its schemas: the type the dispatcher works with. */
// biome-ignore lint/suspicious/noExplicitAny: handlers of every config type must be accepted here.
export type AnyPlugin = PluginHandlers<any, any> & PluginOptions<StandardSchemaV1 | undefined, StandardSchemaV1 | undefined>;

/**
 * Types a plugin definition (handlers and options together) so it can be
 * passed to `pluginMain` and to `runPlugin` in tests.
 */
export function definePlugin<
  ConfigSchema extends StandardSchemaV1 | undefined = undefined,
  ArgsSchema extends StandardSchemaV1 | undefined = undefined,
>(plugin: Plugin<ConfigSchema, ArgsSchema>): Plugin<ConfigSchema, ArgsSchema> {
  return plugin;
}
