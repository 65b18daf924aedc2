import { allocateAddresses, chooseDns } from "@tscni/invoke";
import { enableForwarding, netns, openNetns } from "@tscni/netns";
import { UndoStack } from "@tscni/skel";
import type { VethPair } from "@tscni/netns";
import type { ResultInput } from "@tscni/skel";
import type { IPConfig, Result } from "@tscni/types";
import { refuseUnsupported } from "./config.js";
import type { PtpArgs } from "./config.js";
import { containerLines, gatewaysOf, hostLines } from "./links.js";

function buildResult(args: PtpArgs, ipam: Result & { ips: IPConfig[] }, veth: VethPair): Omit<Result, "cniVersion"> {
  const dns = chooseDns(args.config.dns, ipam.dns);
  return {
    interfaces: [
      { name: veth.hostName, mac: veth.hostMac },
      { name: args.ifName, mac: veth.containerMac, sandbox: args.netns, ...(args.config.mtu !== undefined && { mtu: args.config.mtu }) },
    ],
    ips: ipam.ips.map((ip) => ({ ...ip, interface: 1 })),
    ...(ipam.routes?.length && { routes: ipam.routes }),
    ...(dns && { dns }),
  };
}

export async function add(args: PtpArgs): Promise<ResultInput> {
  refuseUnsupported(args.config);
  const container = await openNetns(args.netns);
  const host = netns();
  await using undo = new UndoStack((what, e) => args.log.warn(`rollback step failed: ${what}`, { error: String(e) }));

  const ipam = await allocateAddresses(args.config.ipam.type, args.stdin, undo);
  // Refused before any link exists: ptp routes every address through its gateway.
  gatewaysOf(ipam.ips);

  const veth = await host.createVethPair({ container, containerIfName: args.ifName, ...(args.config.mtu !== undefined && { mtu: args.config.mtu }) });
  undo.push(`delete ${args.ifName} in ${args.netns}`, () => container.deleteLink(args.ifName));

  await container.batch(containerLines({ ifName: args.ifName, ips: ipam.ips, routes: ipam.routes ?? [] }));
  await host.batch(hostLines({ hostName: veth.hostName, ips: ipam.ips }));
  // The host routes to the container: the kernel must forward for that to mean anything.
  await enableForwarding(host, ipam.ips.map((ip) => ip.address));

  undo.disarm();
  return buildResult(args, ipam, veth);
}
