/** The tuned interface as tuning sees it: the link attributes it sets, read in one place for ADD and CHECK. */
import type { Link, NetNs } from "@tscni/netns";
import { CniError, ErrorCode } from "@tscni/types";
import type { LinkSettings } from "./config.js";

export async function tunedLink(ns: NetNs, ifName: string): Promise<Link> {
  const link = await ns.link(ifName);
  if (!link) throw new CniError(ErrorCode.InvalidEnvironment, `no interface ${ifName} in ${ns}`, "tuning changes an interface an earlier plugin of the chain created");
  return link;
}

/** The link's current values of the attributes named in `wanted`. */
export function currentValues(link: Link, wanted: LinkSettings): LinkSettings {
  return {
    ...(wanted.mtu !== undefined && { mtu: link.mtu }),
    ...(wanted.mac !== undefined && link.mac !== undefined && { mac: link.mac }),
    ...(wanted.promisc !== undefined && { promisc: link.promisc }),
    ...(wanted.allmulti !== undefined && { allmulti: link.flags.includes("ALLMULTI") }),
  };
}
