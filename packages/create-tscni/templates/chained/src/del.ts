/**
 * DEL: nothing to undo. The MTU goes away with the interface, which the
 * interface plugin deletes; and DEL must succeed even when the namespace or
 * the interface is already gone (SPEC.md, DEL), so it touches neither.
 */
import type { Args } from "./config.js";

export function del(args: Args): void {
  args.log.debug(`nothing to release for ${args.containerId}/${args.ifName}`);
}
