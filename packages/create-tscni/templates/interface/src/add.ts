/**
 * ADD: addresses from the IPAM plugin, a veth pair whose peer is created
 * inside the container, the addresses on it. Each step pushes its undo first,
 * so a failure half-way leaves nothing behind (the IPAM release included).
 */
import { allocateAddresses } from "@tscni/invoke";
import { netns, openNetns } from "@tscni/netns";
import { UndoStack, type ResultInput } from "@tscni/skel";
import type { Args } from "./config.js";

export async function add(args: Args): Promise<ResultInput> {
  const container = await openNetns(args.netns);
  const host = netns();
  await using undo = new UndoStack((what, e) => args.log.warn(`rollback step failed: ${what}`, { error: String(e) }));

  const ipam = await allocateAddresses(args.config.ipam.type, args.stdin, undo);
  const mtu = args.config.mtu !== undefined ? { mtu: args.config.mtu } : {};
  const veth = await host.createVethPair({ container, containerIfName: args.ifName, hostNamePrefix: "veth", ...mtu });
  undo.push(`delete ${args.ifName} in ${args.netns}`, () => container.deleteLink(args.ifName));
  for (const ip of ipam.ips) await container.addAddress({ dev: args.ifName, cidr: ip.address });
  await container.setUp(args.ifName);
  await host.setUp(veth.hostName);

  undo.disarm();
  return {
    interfaces: [
      { name: veth.hostName, mac: veth.hostMac },
      { name: args.ifName, mac: veth.containerMac, sandbox: args.netns, ...mtu },
    ],
    ips: ipam.ips.map((ip) => ({ ...ip, interface: 1 })),
    ...(ipam.routes?.length && { routes: ipam.routes }),
    ...(ipam.dns && { dns: ipam.dns }),
  };
}
