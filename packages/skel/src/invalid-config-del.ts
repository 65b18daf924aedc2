/**
 * DEL for a config that fails validation, for plugins that opt in with a
 * `delWithInvalidConfig` handler. Go answers such a DEL with code 7 and the
 * runtime retries forever while everything the attachment holds leaks; a
 * plugin that can still find its state from the container ID, the interface
 * and a few raw fields (an IPAM reservation, a link) releases it instead.
 */
import { CniError, ErrorCode } from "@tscni/types";
import { formatIssues } from "@tscni/types/internal";
import type { IssueLike } from "@tscni/types/internal";
import { envArgs, netnsOverrideSet } from "./env.js";
import type { EnvValues } from "./env.js";
import type { Logger } from "./logger.js";
import { OWN_NETNS_PATH, refuseOwnNetns } from "./own-netns.js";
import type { AnyPlugin, InvalidConfigDelArgs } from "./plugin.js";

/** Code 7 for a config that failed the standard fields or the plugin's schema, with the issues kept. */
export class InvalidConfigError extends CniError {
  readonly issues: readonly IssueLike[];
  constructor(issues: readonly IssueLike[], raw: unknown) {
    super(ErrorCode.InvalidNetworkConfig, "invalid network configuration", formatIssues(issues, raw));
    this.issues = issues;
  }
}

export interface InvalidConfigDel {
  plugin: AnyPlugin;
  values: EnvValues;
  raw: Record<string, unknown>;
  stdin: string;
  error: InvalidConfigError;
  log: Logger;
  ownNetnsPath?: string | undefined;
}

/** True when this DEL should run the plugin's `delWithInvalidConfig` instead of answering `error`. */
export function runsInvalidConfigDel(plugin: AnyPlugin, command: string, error: unknown): error is InvalidConfigError {
  return command === "DEL" && error instanceof InvalidConfigError && typeof plugin.delWithInvalidConfig === "function";
}

/** Runs the handler with the raw config; returns the exit status (0), or throws what it threw. */
export async function delWithInvalidConfig({ plugin, values, raw, stdin, error, log, ownNetnsPath }: InvalidConfigDel): Promise<number> {
  if (!netnsOverrideSet(values)) refuseOwnNetns(values.netns, ownNetnsPath ?? OWN_NETNS_PATH);
  const runtimeConfig = raw.runtimeConfig;
  const args: InvalidConfigDelArgs<unknown> = {
    ...envArgs(values, plugin),
    config: raw,
    stdin,
    runtimeConfig: runtimeConfig !== null && typeof runtimeConfig === "object" && !Array.isArray(runtimeConfig) ? (runtimeConfig as Record<string, unknown>) : {},
    validAttachments: [],
    log,
    configIssues: error.issues,
    configError: error,
  };
  log.warn(`DEL with an invalid config, releasing what can be found: ${error.details ?? error.message}`);
  await (plugin.delWithInvalidConfig as (a: InvalidConfigDelArgs<unknown>) => unknown)(args);
  return 0;
}
