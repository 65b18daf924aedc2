import { delegateAdd, delegateDel } from "@tscni/invoke";
import { assertMac, netns, openNetns } from "@tscni/netns";
import { UndoStack } from "@tscni/skel";
import type { Link, NetNs, VethPair } from "@tscni/netns";
import type { CmdArgs, ResultInput } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { NetConf, Result } from "@tscni/types";
import { conflictingBridgeAddresses, planAddressing, requireAddresses } from "./addressing.js";
import type { Addressing } from "./addressing.js";
import { normalise } from "./config.js";
import type { BridgeConfig, BridgeSettings } from "./config.js";
import { containerLines, hostLines } from "./links.js";
import { attachmentOf, masqueradeRules, masqueradeTable } from "./masquerade.js";

export type BridgeArgs = CmdArgs<NetConf & BridgeConfig>;

/**
 * The release is pushed before the call: a delegate that failed half-way gets
 * its DEL too (as the spec asks), and so does one whose answer we reject.
 */
async function allocate(args: BridgeArgs, ipamType: string, undo: UndoStack): Promise<Result> {
  undo.push(`release addresses from ${ipamType}`, () => delegateDel(ipamType, args.stdin));
  const ipam = await delegateAdd(ipamType, args.stdin);
  requireAddresses(ipamType, ipam.ips);
  return ipam;
}

/** The bridge routes between its ports and the host; the kernel must forward for that. */
async function enableForwarding(host: NetNs, gatewayAddresses: string[]): Promise<void> {
  if (gatewayAddresses.some((a) => !a.includes(":"))) await host.sysctl("net/ipv4/ip_forward", "1");
  if (gatewayAddresses.some((a) => a.includes(":"))) await host.sysctl("net/ipv6/conf/all/forwarding", "1");
}

function buildResult(args: BridgeArgs, s: BridgeSettings, o: { bridge: Link; veth: VethPair; plan: Addressing; ipamDns: Result["dns"] }): Omit<Result, "cniVersion"> {
  const dns = args.config.dns && Object.keys(args.config.dns).length > 0 ? args.config.dns : o.ipamDns;
  return {
    interfaces: [
      { name: s.bridge, ...(o.bridge.mac !== undefined && { mac: o.bridge.mac }) },
      { name: o.veth.hostName, mac: o.veth.hostMac },
      { name: args.ifName, mac: o.veth.containerMac, sandbox: args.netns, ...(s.mtu !== undefined && { mtu: s.mtu }) },
    ],
    ...(o.plan.ips.length > 0 && { ips: o.plan.ips.map((ip) => ({ ...ip, interface: 2 })) }),
    ...(o.plan.routes.length > 0 && { routes: o.plan.routes }),
    ...(dns && { dns }),
  };
}

/** A 0.1.0/0.2.0 result is ip4/ip6 only: a layer-2 attachment could be made but never reported. Refuse before making it. */
function refuseUnreportable(args: BridgeArgs, s: BridgeSettings): void {
  if (s.ipamType === undefined && (args.config.cniVersion === "0.1.0" || args.config.cniVersion === "0.2.0")) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `a bridge without ipam needs cniVersion 0.3.0 or later, config is ${args.config.cniVersion}`, "a 0.1.0/0.2.0 result can only carry IP addresses");
  }
}

/** The `mac` capability (runtimeConfig.mac), else `MAC=` in CNI_ARGS, as the Go plugin reads them. */
function requestedMac(args: BridgeArgs): string | undefined {
  const fromRuntime = args.runtimeConfig.mac;
  const raw = typeof fromRuntime === "string" && fromRuntime !== "" ? fromRuntime : args.args.MAC;
  if (raw === undefined || raw === "") return undefined;
  try {
    return assertMac(raw);
  } catch {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MAC address ${JSON.stringify(raw)}`, "runtimeConfig.mac or CNI_ARGS MAC must look like 02:00:00:00:00:01");
  }
}

export async function add(args: BridgeArgs): Promise<ResultInput> {
  const s = normalise(args.config);
  refuseUnreportable(args, s);
  const mac = requestedMac(args);
  const container = await openNetns(args.netns);
  const host = netns();
  await using undo = new UndoStack((what, e) => args.log.warn(`rollback step failed: ${what}`, { error: String(e) }));
  const mtu = s.mtu !== undefined ? { mtu: s.mtu } : {};

  const bridge = await host.ensureBridge({ name: s.bridge, promisc: s.promisc, ...mtu });

  let ipam: Result = { cniVersion: "1.1.0" };
  if (s.ipamType !== undefined) ipam = await allocate(args, s.ipamType, undo);
  const plan = planAddressing(s, ipam);
  const replaced = conflictingBridgeAddresses(s, bridge.addresses, plan.bridgeAddresses);

  const veth = await host.createVethPair({ container, containerIfName: args.ifName, ...mtu, ...(mac !== undefined && { containerMac: mac }) });
  undo.push(`delete ${args.ifName} in ${args.netns}`, () => container.deleteLink(args.ifName));

  await host.batch(hostLines({ hostName: veth.hostName, bridge: s.bridge, hairpin: s.hairpin, gatewayAddresses: plan.bridgeAddresses, replaced }));
  await container.batch(containerLines({ ifName: args.ifName, ips: plan.ips, routes: plan.routes, dad: s.dad }));
  // With DAD on, a tentative address cannot be used yet: hand the container over once it settled.
  if (s.dad && plan.ips.some((ip) => ip.address.includes(":"))) await container.waitForDad(args.ifName, { timeoutMs: 10_000 });
  await enableForwarding(host, plan.bridgeAddresses);
  if (s.ipMasq && plan.ips.length > 0) {
    const table = masqueradeTable();
    undo.push("remove the masquerade rules", () => table.remove(attachmentOf(args)));
    await table.apply(attachmentOf(args), masqueradeRules(plan.ips));
  }

  undo.disarm();
  return buildResult(args, s, { bridge, veth, plan, ipamDns: ipam.dns });
}
