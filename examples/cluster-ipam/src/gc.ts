/**
 * GC: releases this node's reservations of the network whose attachment is
 * not in `cni.dev/valid-attachments`. Another node's are never touched: their
 * runtime, not ours, knows which of them are still in use.
 */
import { type ClusterIpamArgs, withStore } from "./config.js";

export async function gc(args: ClusterIpamArgs): Promise<void> {
  const valid = args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname }));
  const released = await withStore(args, (store) => store.collect(valid));
  if (released.length > 0) {
    args.log.info(`gc released ${released.map((r) => `${r.containerId}/${r.ifName} (${r.addresses.join(", ")})`).join("; ")}`);
  }
}
