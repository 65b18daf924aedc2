/** DEL: releases what the attachment holds; holding nothing is success (DEL may come twice). */
import { type Args, openStore } from "./config.js";

export async function del(args: Args): Promise<void> {
  const owner = { containerId: args.containerId, ifName: args.ifName };
  await openStore(args.config).withLock((store) => store.releaseByOwner(owner));
}
