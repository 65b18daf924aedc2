/** CHECK: the attachment still holds an address. */
import { CniError, ErrorCode } from "@tscni/skel";
import { type Args, openStore } from "./config.js";

export async function check(args: Args): Promise<void> {
  const owner = { containerId: args.containerId, ifName: args.ifName };
  const held = await openStore(args.config).withLock((store) => store.findByOwner(owner));
  if (held.length === 0) {
    throw new CniError(ErrorCode.UnknownContainer, `no address reserved for ${args.containerId}/${args.ifName} in network ${args.config.name}`);
  }
}
