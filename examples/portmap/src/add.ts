/** ADD: this attachment's forwarding rules, in one transaction; prevResult passes through. */
import type { ResultInput } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { PortmapArgs } from "./config.js";
import { attachmentOf, portmapTable, rulesFor } from "./rules.js";

export async function add(args: PortmapArgs): Promise<ResultInput> {
  if (!args.prevResult) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "portmap is a chained plugin: the config has no prevResult", "put portmap after an interface plugin (bridge, ptp) in a conflist");
  }
  const rules = rulesFor(args);
  if (rules.length > 0) await portmapTable().apply(attachmentOf(args), rules);
  return args.prevResult;
}
