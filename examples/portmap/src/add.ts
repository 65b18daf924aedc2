/** ADD: this attachment's forwarding rules, in one transaction; prevResult passes through. */
import { requirePrevResult } from "@tscni/skel";
import type { ResultInput } from "@tscni/skel";
import type { PortmapArgs } from "./config.js";
import { attachmentOf, portmapTable, rulesFor } from "./rules.js";

export async function add(args: PortmapArgs): Promise<ResultInput> {
  const prev = requirePrevResult(args);
  const rules = rulesFor(args);
  if (rules.length > 0) await portmapTable().apply(attachmentOf(args), rules);
  return prev;
}
