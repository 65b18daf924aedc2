/**
 * bandwidth's configuration: Go's `ingressRate`/`ingressBurst` (traffic into
 * the container) and `egressRate`/`egressBurst` (traffic out of it), in bits
 * per second and bits, and the `bandwidth` capability from runtimeConfig,
 * which replaces them. A direction is limited when its rate and burst are both
 * set and non-zero; one without the other is code 7.
 */
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode, type NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function bandwidthConfigSchema() {
  const limits = {
    ingressRate: z.optional(z.number()),
    ingressBurst: z.optional(z.number()),
    egressRate: z.optional(z.number()),
    egressBurst: z.optional(z.number()),
  };
  return z.looseObject({ ...limits, runtimeConfig: z.optional(z.looseObject({ bandwidth: z.optional(z.looseObject(limits)) })) });
}

export type BandwidthConfig = NetConf & z.infer<ReturnType<typeof bandwidthConfigSchema>>;
export type BandwidthArgs = CmdArgs<BandwidthConfig>;

export interface Limit {
  /** bits per second */
  readonly rate: number;
  /** bits */
  readonly burst: number;
}

export interface Limits {
  readonly ingress: Limit | undefined;
  readonly egress: Limit | undefined;
}

/** tbf's own bounds: rates below 1 kbit/s or bursts below one full frame do not shape anything sensibly. */
const MIN_RATE = 1_000;
const MIN_BURST = 8 * 1_600;
const MAX = 2 ** 40;

function limitOf(rate: number | undefined, burst: number | undefined, direction: string, from: string): Limit | undefined {
  if ((rate ?? 0) === 0 && (burst ?? 0) === 0) return undefined;
  const field = (what: string) => `${from}${direction}${what}`;
  for (const [name, value, min] of [["Rate", rate, MIN_RATE], ["Burst", burst, MIN_BURST]] as const) {
    if (value === undefined || value === 0) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `${field(name)}: required when ${field(name === "Rate" ? "Burst" : "Rate")} is set`);
    }
    if (!Number.isSafeInteger(value) || value < min || value > MAX) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `${field(name)}: must be a whole number from ${min} to ${MAX}`, JSON.stringify(value));
    }
  }
  return { rate: rate!, burst: burst! };
}

export function limitsOf(config: BandwidthConfig): Limits {
  const runtime = config.runtimeConfig?.bandwidth;
  const source = runtime ?? config;
  const from = runtime ? "runtimeConfig.bandwidth." : "";
  return {
    ingress: limitOf(source.ingressRate, source.ingressBurst, "ingress", from),
    egress: limitOf(source.egressRate, source.egressBurst, "egress", from),
  };
}
