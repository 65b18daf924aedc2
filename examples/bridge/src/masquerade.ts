/**
 * ipMasq on nftables: traffic from the container's addresses to anywhere but
 * the bridge's own subnets (and multicast) leaves with the host's address.
 * Rules live in `inet tscni-bridge`, chain `postrouting`, tagged with the
 * attachment, so DEL, CHECK and GC find exactly this container's.
 */
import { NftTable, type RuleSpec, ipKeyword, nftAddress, nftPrefix } from "@tscni/nft";
import type { Result } from "@tscni/types";

export function masqueradeTable(): NftTable {
  return new NftTable({
    plugin: "bridge",
    chains: { postrouting: { declaration: "type nat hook postrouting priority srcnat; policy accept;" } },
  });
}

const MULTICAST = { 4: "224.0.0.0/4", 6: "ff00::/8" } as const;

/** One rule per container address: from it, to neither its own subnet nor multicast, masquerade. */
export function masqueradeRules(ips: NonNullable<Result["ips"]>): RuleSpec[] {
  return ips.map((ip, i) => {
    const address = nftAddress(ip.address.split("/")[0], `ips[${i}].address`);
    const subnet = nftPrefix(ip.address, `ips[${i}].address`);
    const kw = ipKeyword(address.family);
    return {
      chain: "postrouting",
      text: `${kw} saddr ${address.text} ${kw} daddr != ${subnet.text} ${kw} daddr != ${MULTICAST[address.family]} masquerade`,
    };
  });
}

export function attachmentOf(args: { containerId: string; ifName: string }): { containerId: string; ifName: string } {
  return { containerId: args.containerId, ifName: args.ifName };
}
