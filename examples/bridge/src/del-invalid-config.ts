import { delegateDel } from "@tscni/invoke";
import { deleteLinkForDel } from "@tscni/netns";
import type { InvalidConfigDelArgs } from "@tscni/skel";
import { attachmentOf, masqueradeTable } from "./masquerade.js";

/**
 * DEL for a config that fails validation (skel's opt-in): what DEL needs is
 * the container's interface (from the environment, already checked), the raw
 * `ipMasq` flag and `ipam.type`; the IPAM plugin gets the same stdin and finds
 * its reservation by container ID and interface. Then success: the runtime
 * must not retry forever over a field that no longer validates.
 */
export async function delWithInvalidConfig(args: InvalidConfigDelArgs): Promise<void> {
  const { ipam } = args.config;
  const ipamType = ipam !== null && typeof ipam === "object" && typeof (ipam as { type?: unknown }).type === "string" ? (ipam as { type: string }).type || undefined : undefined;
  try {
    await deleteLinkForDel(args.netns, args.ifName, { onSkip: (why) => args.log.debug(`no link to delete: ${why}`) });
    if (args.config.ipMasq === true) await masqueradeTable().remove(attachmentOf(args));
  } finally {
    if (ipamType !== undefined) await delegateDel(ipamType, args.stdin);
  }
}
