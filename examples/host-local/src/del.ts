/**
 * DEL: releases whatever the attachment (container ID + interface) holds in
 * this network. Idempotent: nothing held is success. Needs only the network
 * name and data directory, so it still works when the ranges have changed.
 */
import type { HostLocalArgs } from "./config.js";
import { openStore } from "./config.js";
import { formatIp } from "@tscni/ipam";

export async function del(args: HostLocalArgs): Promise<void> {
  const store = openStore(args.config);
  const released = await store.withLock((s) => s.releaseByOwner({ containerId: args.containerId, ifName: args.ifName }));
  if (released.length > 0) args.log.debug(`released ${released.map(formatIp).join(", ")}`);
}
