/**
 * GC: releases every reservation of this network whose attachment is not in
 * `cni.dev/valid-attachments`, and the remnants of ADDs killed half-way.
 * Go's host-local has no GC. Keeps going past a failing file and reports all.
 */
import { formatIp } from "@tscni/ipam";
import { CniError, ErrorCode } from "@tscni/types";
import { type HostLocalArgs, openStore } from "./config.js";

export async function gc(args: HostLocalArgs): Promise<void> {
  const store = openStore(args.config);
  const valid = args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname }));
  const { released, errors } = await store.withLock((s) => s.gc(valid));
  if (released.length > 0) args.log.info(`gc released ${released.map(formatIp).join(", ")}`);
  if (errors.length > 0) {
    throw new CniError(ErrorCode.IOFailure, `gc of network ${args.config.name} left ${errors.length} reservation(s)`, errors.join("; "));
  }
}
