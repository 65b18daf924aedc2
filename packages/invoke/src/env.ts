/** The per-call CNI_* variables; all six are always set, empty when absent, as Go does. */
export interface CniEnvVars {
  command: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  /** CNI_ARGS, already joined ("K=V;K2=V2"). */
  args?: string;
  /** Plugin search directories, joined with ":" into CNI_PATH. */
  path?: readonly string[];
  /**
   * W3C trace context of this call (Go passes its OpenTelemetry span the same way).
   * When absent, TRACEPARENT/TRACESTATE of the base environment pass through.
   */
  traceparent?: string;
  tracestate?: string;
}

export type Env = Record<string, string | undefined>;

/**
 * The environment a plugin is exec'd with: the caller's environment (which
 * carries TRACEPARENT/TRACESTATE when the caller has them) with the CNI_*
 * variables replacing any inherited ones, so a stale CNI_NETNS in the
 * runtime's own environment can never leak into a call.
 */
export function buildPluginEnv(vars: CniEnvVars, base: Env = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = vars.command;
  env.CNI_CONTAINERID = vars.containerId ?? "";
  env.CNI_NETNS = vars.netns ?? "";
  env.CNI_ARGS = vars.args ?? "";
  env.CNI_IFNAME = vars.ifName ?? "";
  env.CNI_PATH = (vars.path ?? []).join(":");
  if (vars.traceparent !== undefined) {
    env.TRACEPARENT = vars.traceparent;
    // A tracestate belongs to its traceparent: never pair a new parent with an inherited state.
    if (vars.tracestate !== undefined) env.TRACESTATE = vars.tracestate;
    else delete env.TRACESTATE;
  }
  return env;
}

/** Joins runtime args the way CNI_ARGS carries them. */
export function joinCniArgs(args: readonly (readonly [string, string])[] | undefined): string {
  return (args ?? []).map(([k, v]) => `${k}=${v}`).join(";");
}

/** Drops undefined values so the result can be handed to spawn as is. */
export function definedEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
