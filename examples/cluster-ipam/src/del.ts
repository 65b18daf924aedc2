/**
 * DEL: releases the attachment's addresses in one transaction. An attachment
 * that holds nothing is success (DEL is idempotent); etcd out of reach is
 * code 11, never a silent success, so the runtime retries.
 */
import { type ClusterIpamArgs, attachmentOf, withStore } from "./config.js";

export async function del(args: ClusterIpamArgs): Promise<void> {
  const released = await withStore(args, (store) => store.release(attachmentOf(args)));
  args.log.debug(released ? `released the addresses of ${args.containerId}/${args.ifName}` : "nothing reserved");
}
