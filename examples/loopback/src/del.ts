import { openNetnsForDel } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { LOOPBACK } from "./config.js";

/** Sets lo down again, as the Go plugin does. A namespace that is already gone is success. */
export async function del(args: CmdArgs): Promise<void> {
  const ns = await openNetnsForDel(args.netns, { onSkip: (why) => args.log.debug(`nothing to do: ${why}`) });
  await ns?.setDown(LOOPBACK);
}
