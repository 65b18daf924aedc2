/**
 * DEL: puts back the MTU, MAC, promiscuous and all-multicast values ADD
 * changed (as Go's tuning does; sysctls are not restored), then forgets them.
 * A namespace or interface that is already gone is success.
 */
import { openNetnsForDel } from "@tscni/netns";
import { forgetOriginals, readOriginals } from "./backup.js";
import { DEFAULT_DATA_DIR, type TuningArgs } from "./config.js";

export async function del(args: TuningArgs): Promise<void> {
  // DEL needs only the data directory: a config whose other fields went bad must not leave the backup behind.
  const dataDir = args.config.dataDir ?? DEFAULT_DATA_DIR;
  const originals = readOriginals(args, dataDir);
  if (originals && Object.keys(originals).length > 0) {
    const ns = await openNetnsForDel(args.netns, { onSkip: (why) => args.log.debug(`nothing to restore: ${why}`) });
    if (ns && (await ns.link(args.ifName))) await ns.setLink(args.ifName, originals);
  }
  forgetOriginals(args, dataDir);
}
