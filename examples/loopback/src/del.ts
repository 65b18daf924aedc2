import { netnsState, openNetns } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { LOOPBACK } from "./config.js";

/** Sets lo down again, as the Go plugin does. A namespace that is already gone is success. */
export async function del(args: CmdArgs): Promise<void> {
  if (args.netns === "" || (await netnsState(args.netns)) === "missing") return;
  const ns = await openNetns(args.netns);
  await ns.setDown(LOOPBACK);
}
