/** CHECK: the kernel holds exactly the rules this attachment's config and prevResult call for. */
import { CniError, ErrorCode } from "@tscni/types";
import type { PortmapArgs } from "./config.js";
import { attachmentOf, portmapTable, rulesFor } from "./rules.js";

export async function check(args: PortmapArgs): Promise<void> {
  const table = portmapTable();
  const problems = await table.verify(attachmentOf(args), rulesFor(args));
  if (problems.length > 0) {
    throw new CniError(ErrorCode.Internal, `port mappings of ${args.containerId}/${args.ifName} differ from ${table}`, problems.join("; "));
  }
}
