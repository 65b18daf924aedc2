/** GC: removes the rules of every attachment not in `cni.dev/valid-attachments`. */
import type { PortmapArgs } from "./config.js";
import { portmapTable } from "./rules.js";

export async function gc(args: PortmapArgs): Promise<void> {
  const valid = args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname }));
  const removed = await portmapTable().collect(valid);
  if (removed > 0) args.log.info(`gc removed ${removed} rule(s) of stale attachments`);
}
