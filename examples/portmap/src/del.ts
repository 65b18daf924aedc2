/**
 * DEL: removes this attachment's rules, found by their tag. Needs neither the
 * mappings nor prevResult (a runtime may send neither on DEL), and nothing
 * left to remove is success.
 */
import type { PortmapArgs } from "./config.js";
import { attachmentOf, portmapTable } from "./rules.js";

export async function del(args: PortmapArgs): Promise<void> {
  const removed = await portmapTable().remove(attachmentOf(args));
  args.log.debug(`removed ${removed} rule(s)`);
}
