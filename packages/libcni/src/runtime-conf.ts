/** What a runtime says about one attachment, and how it becomes a plugin's stdin and environment. */
import type { AnyResult } from "@tscni/types";
import { buildPluginEnv, joinCniArgs, type Env } from "@tscni/invoke";
import type { PluginConfig } from "./conf.js";
import { sortedJson } from "./json.js";

/** The attachment a call is about (Go's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  /** Path of the container's network namespace; may be empty on DEL. */
  netns?: string;
  ifName: string;
  /** CNI_ARGS as pairs, joined "K=V;K2=V2". */
  args?: readonly (readonly [string, string])[];
  /** Capability arguments; each plugin receives those it declares in `capabilities` as runtimeConfig. */
  capabilityArgs?: Readonly<Record<string, unknown>>;
  /** W3C trace context for this call, passed to plugins as TRACEPARENT/TRACESTATE. */
  traceparent?: string;
  tracestate?: string;
}

/**
 * A plugin's stdin: its own object with the list's `name` and `cniVersion`,
 * `prevResult` when there is one, and `runtimeConfig` holding exactly the
 * capability args the plugin declared (replacing any in the file). Like Go,
 * `capabilities` is left in place.
 */
export function buildPluginStdin(
  name: string,
  cniVersion: string,
  plugin: PluginConfig,
  prevResult: AnyResult | undefined,
  rt: Pick<RuntimeConf, "capabilityArgs"> | undefined,
  extra?: Readonly<Record<string, unknown>>,
): string {
  const obj = JSON.parse(plugin.bytes) as Record<string, unknown>;
  obj.name = name;
  obj.cniVersion = cniVersion;
  if (prevResult !== undefined) obj.prevResult = prevResult;
  const runtimeConfig: Record<string, unknown> = {};
  const caps = plugin.network.capabilities ?? {};
  for (const [cap, enabled] of Object.entries(caps)) {
    const value = rt?.capabilityArgs?.[cap];
    if (enabled === true && value !== undefined && value !== null) runtimeConfig[cap] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) obj.runtimeConfig = runtimeConfig;
  if (extra) Object.assign(obj, extra);
  return sortedJson(obj);
}

/** The environment of one plugin call for an attachment (all CNI_* set, inherited ones overridden). */
export function attachmentEnv(command: string, rt: RuntimeConf, path: readonly string[], base: Env): Record<string, string> {
  return buildPluginEnv(
    {
      command,
      containerId: rt.containerId,
      netns: rt.netns ?? "",
      ifName: rt.ifName,
      args: joinCniArgs(rt.args),
      path,
      ...(rt.traceparent !== undefined && { traceparent: rt.traceparent }),
      ...(rt.tracestate !== undefined && { tracestate: rt.tracestate }),
    },
    base,
  );
}

/** The environment of a network-wide call (GC, STATUS): no attachment variables. */
export function networkEnv(command: string, path: readonly string[], base: Env): Record<string, string> {
  return buildPluginEnv({ command, path }, base);
}
