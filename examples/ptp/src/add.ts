import { delegateAdd, delegateDel } from "@tscni/invoke";
import { netns, openNetns } from "@tscni/netns";
import { UndoStack } from "@tscni/skel";
import type { NetNs } from "@tscni/netns";
import type { CmdArgs, ResultInput } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { NetConf, Result } from "@tscni/types";
import type { PtpConfig } from "./config.js";
import { containerLines, gatewaysOf, hostLines } from "./links.js";

export type PtpArgs = CmdArgs<NetConf & PtpConfig>;

function refuseUnsupported(config: PtpConfig): void {
  if (config.ipMasq) throw new CniError(ErrorCode.UnsupportedField, "unsupported field ipMasq: true", "this ptp example does not set up NAT; remove ipMasq or set it to false");
}

/**
 * The release is pushed before the call: a delegate that failed half-way gets
 * its DEL too (as the spec asks), and so does one whose answer we reject.
 */
async function allocate(args: PtpArgs, undo: UndoStack): Promise<Result> {
  const ipamType = args.config.ipam.type;
  undo.push(`release addresses from ${ipamType}`, () => delegateDel(ipamType, args.stdin));
  const ipam = await delegateAdd(ipamType, args.stdin);
  if (!ipam.ips?.length) throw new CniError(ErrorCode.Internal, `IPAM plugin ${ipamType} returned no IP addresses`);
  gatewaysOf(ipam.ips);
  return ipam;
}

/** The host routes to the container; the kernel must forward for that to mean anything. */
async function enableForwarding(host: NetNs, ipam: Result): Promise<void> {
  const families = new Set((ipam.ips ?? []).map((ip) => (ip.address.includes(":") ? 6 : 4)));
  if (families.has(4)) await host.sysctl("net/ipv4/ip_forward", "1");
  if (families.has(6)) await host.sysctl("net/ipv6/conf/all/forwarding", "1");
}

function buildResult(args: PtpArgs, ipam: Result, veth: { hostName: string; hostMac: string; containerMac: string }): Omit<Result, "cniVersion"> {
  const dns = args.config.dns && Object.keys(args.config.dns).length > 0 ? args.config.dns : ipam.dns;
  return {
    interfaces: [
      { name: veth.hostName, mac: veth.hostMac },
      { name: args.ifName, mac: veth.containerMac, sandbox: args.netns, ...(args.config.mtu !== undefined && { mtu: args.config.mtu }) },
    ],
    ips: (ipam.ips ?? []).map((ip) => ({ ...ip, interface: 1 })),
    ...(ipam.routes?.length && { routes: ipam.routes }),
    ...(dns && { dns }),
  };
}

export async function add(args: PtpArgs): Promise<ResultInput> {
  refuseUnsupported(args.config);
  const container = await openNetns(args.netns);
  const host = netns();
  await using undo = new UndoStack((what, e) => args.log.warn(`rollback step failed: ${what}`, { error: String(e) }));

  const ipam = await allocate(args, undo);

  const veth = await host.createVethPair({ container, containerIfName: args.ifName, ...(args.config.mtu !== undefined && { mtu: args.config.mtu }) });
  undo.push(`delete ${args.ifName} in ${args.netns}`, () => container.deleteLink(args.ifName));

  await container.batch(containerLines({ ifName: args.ifName, ips: ipam.ips ?? [], routes: ipam.routes ?? [] }));
  await host.batch(hostLines({ hostName: veth.hostName, ips: ipam.ips ?? [] }));
  await enableForwarding(host, ipam);

  undo.disarm();
  return buildResult(args, ipam, veth);
}
