/**
 * The previous result a chained plugin (tuning, portmap, bandwidth) and every
 * CHECK works from. Configs carry `prevResult` from 0.3.0 on (SPEC.md §3,
 * chaining; §2 ADD and CHECK); without one there is nothing to build on, which
 * is a configuration mistake (code 7), not a plugin failure.
 */
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";

/** The fields of `CmdArgs` it reads: any plugin's handler arguments fit. */
export interface PrevResultSource {
  command: string;
  config: { type: string };
  prevResult?: Result | undefined;
}

/** `args.prevResult`, or code 7 saying where it should have come from. */
export function requirePrevResult(args: PrevResultSource): Result {
  if (args.prevResult) return args.prevResult;
  if (args.command === "CHECK") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "CHECK needs prevResult", "the runtime passes the result of ADD as prevResult");
  }
  const name = args.config.type;
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `${name} is a chained plugin: the config has no prevResult`,
    `put ${name} after an interface plugin (bridge, ptp) in a conflist`,
  );
}
