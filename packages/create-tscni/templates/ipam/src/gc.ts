/** GC: releases every reservation whose attachment is not among the runtime's valid attachments. */
import { CniError, ErrorCode } from "@tscni/skel";
import { type Args, openStore } from "./config.js";

export async function gc(args: Args): Promise<void> {
  const valid = args.validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname }));
  const { errors } = await openStore(args.config).withLock((store) => store.gc(valid));
  if (errors.length > 0) throw new CniError(ErrorCode.IOFailure, `gc left ${errors.length} reservation(s)`, errors.join("; "));
}
