/**
 * The nftables rules one attachment needs, from its config and prevResult:
 * ADD applies them, CHECK compares the kernel's with them. One place, so the
 * two can never disagree.
 *
 * For each mapping and each family the container has an address in:
 *   prerouting and output: traffic to a local address (and to hostIP, when set)
 *     on the host port is DNATed to the container's address and port;
 *   postrouting (with snat, the default): a container reaching itself through
 *     a host port (hairpin) is masqueraded, so its replies come back the same way.
 */
import { NftTable, type NftAddress, type RuleSpec, ipKeyword, natTarget, nftAddress } from "@tscni/nft";
import { CniError, ErrorCode } from "@tscni/types";
import { type PortmapArgs, conditionsOf, mappingsOf } from "./config.js";

export function portmapTable(): NftTable {
  return new NftTable({
    plugin: "portmap",
    chains: {
      prerouting: { declaration: "type nat hook prerouting priority dstnat; policy accept;" },
      output: { declaration: "type nat hook output priority -100; policy accept;" },
      postrouting: { declaration: "type nat hook postrouting priority srcnat; policy accept;" },
    },
  });
}

/** The container's first address of each family, from prevResult. */
function containerAddresses(args: PortmapArgs): Map<4 | 6, NftAddress> {
  const prev = args.prevResult;
  if (!prev) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "portmap is a chained plugin: the config has no prevResult", "put portmap after an interface plugin (bridge, ptp) in a conflist");
  }
  const found = new Map<4 | 6, NftAddress>();
  for (const [i, ip] of (prev.ips ?? []).entries()) {
    const address = nftAddress(ip.address.split("/")[0], `prevResult.ips[${i}].address`);
    if (!found.has(address.family)) found.set(address.family, address);
  }
  return found;
}

export function rulesFor(args: PortmapArgs): RuleSpec[] {
  const mappings = mappingsOf(args.config);
  if (mappings.length === 0) return [];
  const addresses = containerAddresses(args);
  const snat = args.config.snat !== false;
  const rules: RuleSpec[] = [];
  for (const [family, container] of addresses) {
    const ip = ipKeyword(family);
    const conditions = conditionsOf(args.config, family);
    for (const m of mappings) {
      if (m.hostIP && m.hostIP.family !== family) continue;
      const match = [
        `meta nfproto ${family === 4 ? "ipv4" : "ipv6"}`,
        "fib daddr type local",
        ...(m.hostIP ? [`${ip} daddr ${m.hostIP.text}`] : []),
        ...conditions,
        `${m.protocol} dport ${m.hostPort}`,
      ].join(" ");
      const dnat = `dnat ${ip} to ${natTarget(container, m.containerPort)}`;
      rules.push({ chain: "prerouting", text: `${match} ${dnat}` }, { chain: "output", text: `${match} ${dnat}` });
    }
    if (snat) rules.push({ chain: "postrouting", text: `${ip} saddr ${container.text} ${ip} daddr ${container.text} masquerade` });
  }
  return rules;
}

export function attachmentOf(args: PortmapArgs): { containerId: string; ifName: string } {
  return { containerId: args.containerId, ifName: args.ifName };
}
