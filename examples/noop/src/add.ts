import type { ResultInput } from "@tscni/skel";
import type { NoopArgs } from "./config.js";
import { perform } from "./script.js";

/** The address the default ADD result reports: link-local, never routed anywhere. */
export const DEFAULT_ADDRESS = "169.254.0.2/16";

/** The scripted result, else prevResult passed through, else one interface with DEFAULT_ADDRESS. */
export function add(args: NoopArgs): ResultInput {
  perform("ADD", args);
  const { config, prevResult } = args;
  if (config.passthrough && prevResult) return prevResult;
  if (config.result) return config.result as ResultInput;
  if (prevResult) return prevResult;
  return {
    interfaces: [{ name: args.ifName, sandbox: args.netns }],
    ips: [{ interface: 0, address: DEFAULT_ADDRESS }],
  };
}
