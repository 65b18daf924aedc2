/**
 * DEL: removes the attachment's ifb device, found by its name alone, so it
 * works without prevResult and after the namespace is gone. The veth's own
 * qdiscs disappear with the veth, which the interface plugin deletes.
 */
import type { BandwidthArgs } from "./config.js";
import { ifbName, unshape } from "./shaping.js";

export async function del(args: BandwidthArgs): Promise<void> {
  await unshape(ifbName(args));
}
