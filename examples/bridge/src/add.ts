import { allocateAddresses, chooseDns } from "@tscni/invoke";
import { assertMac, enableForwarding, netns, openNetns } from "@tscni/netns";
import { UndoStack } from "@tscni/skel";
import type { Link, VethPair } from "@tscni/netns";
import type { ResultInput } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";
import { conflictingBridgeAddresses, planAddressing } from "./addressing.js";
import type { Addressing } from "./addressing.js";
import { normalise } from "./config.js";
import type { BridgeArgs, BridgeSettings } from "./config.js";
import { containerLines, hostLines } from "./links.js";
import { attachmentOf, masqueradeRules, masqueradeTable } from "./masquerade.js";

function buildResult(args: BridgeArgs, s: BridgeSettings, o: { bridge: Link; veth: VethPair; plan: Addressing; ipamDns: Result["dns"] }): Omit<Result, "cniVersion"> {
  const dns = chooseDns(args.config.dns, o.ipamDns);
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
  if (s.ipamType !== undefined) ipam = await allocateAddresses(s.ipamType, args.stdin, undo);
  const plan = planAddressing(s, ipam);
  const replaced = conflictingBridgeAddresses(s, bridge.addresses, plan.bridgeAddresses);

  // The pair and its bridge port settings in one `ip` process; a failing port line still leaves the pair to undo.
  const veth = await host.createVethPair({
    container,
    containerIfName: args.ifName,
    ...mtu,
    ...(mac !== undefined && { containerMac: mac }),
    thenHost: (hostName) => hostLines({ hostName, bridge: s.bridge, hairpin: s.hairpin, gatewayAddresses: plan.bridgeAddresses, replaced }),
    onCreated: () => undo.push(`delete ${args.ifName} in ${args.netns}`, () => container.deleteLink(args.ifName)),
  });

  await container.batch(containerLines({ ifName: args.ifName, ips: plan.ips, routes: plan.routes, dad: s.dad }));
  // With DAD on, a tentative address cannot be used yet: hand the container over once it settled.
  if (s.dad && plan.ips.some((ip) => ip.address.includes(":"))) await container.waitForDad(args.ifName, { timeoutMs: 10_000 });
  // The bridge routes between its ports and the host, for each family it is gateway of.
  await enableForwarding(host, plan.bridgeAddresses);
  if (s.ipMasq && plan.ips.length > 0) {
    const table = masqueradeTable();
    undo.push("remove the masquerade rules", () => table.remove(attachmentOf(args)));
    await table.apply(attachmentOf(args), masqueradeRules(plan.ips));
  }

  undo.disarm();
  return buildResult(args, s, { bridge, veth, plan, ipamDns: ipam.dns });
}
