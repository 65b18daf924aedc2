/**
 * bridge's options: the schema checks types, `normalise` turns them into the
 * settings the steps use and refuses what this example does not implement
 * (code 2 naming the field) instead of ignoring it.
 */
import * as z from "zod/mini";
import { ifNameProblem } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { NetConf } from "@tscni/types";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function bridgeConfigSchema() {
  return z.object({
    bridge: z.optional(z.string().check(z.refine((s) => ifNameProblem(s) === undefined, "not a valid interface name"))),
    isGateway: z.optional(z.boolean()),
    isDefaultGateway: z.optional(z.boolean()),
    forceAddress: z.optional(z.boolean()),
    ipMasq: z.optional(z.boolean()),
    /** Go's choice between iptables and nftables; this bridge drives nftables only. */
    ipMasqBackend: z.optional(z.string()),
    mtu: z.optional(z.int().check(z.gte(68), z.lte(65535))),
    hairpinMode: z.optional(z.boolean()),
    promiscMode: z.optional(z.boolean()),
    enabledad: z.optional(z.boolean()),
    vlan: z.optional(z.int()),
    macspoofchk: z.optional(z.boolean()),
    ipam: z.optional(z.looseObject({ type: z.optional(z.string()) })),
  });
}

export type BridgeConfig = z.infer<ReturnType<typeof bridgeConfigSchema>>;
export type BridgeArgs = CmdArgs<NetConf & BridgeConfig>;

/** What the steps work with: defaults applied, implications resolved. */
export interface BridgeSettings {
  bridge: string;
  /** The bridge holds each subnet's gateway address. */
  isGateway: boolean;
  /** The container gets a default route via the gateway (implies isGateway). */
  isDefaultGateway: boolean;
  /** Replace a different address the bridge already has in the same family. */
  forceAddress: boolean;
  mtu?: number;
  hairpin: boolean;
  promisc: boolean;
  /** IPv6 duplicate address detection in the container (off by default, as Go's `enabledad`; always off with hairpin). */
  dad: boolean;
  /** Undefined: layer 2 only, no addresses. */
  ipamType?: string;
  /** Masquerade the container's traffic leaving the bridge's subnets (nftables). */
  ipMasq: boolean;
}

function unsupported(field: string, value: unknown, why: string): never {
  throw new CniError(ErrorCode.UnsupportedField, `unsupported field ${field}: ${JSON.stringify(value)}`, why);
}

export function normalise(c: BridgeConfig): BridgeSettings {
  if (c.ipMasqBackend !== undefined && c.ipMasqBackend !== "nftables") {
    unsupported("ipMasqBackend", c.ipMasqBackend, 'this bridge masquerades with nftables only; use "nftables" or leave it out');
  }
  if (c.vlan) unsupported("vlan", c.vlan, "this bridge example does not configure VLAN filtering");
  if (c.macspoofchk) unsupported("macspoofchk", c.macspoofchk, "this bridge example does not install nftables rules");
  if (c.hairpinMode && c.promiscMode) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "hairpinMode and promiscMode cannot both be true", "a promiscuous bridge already reflects frames back to their port");
  }
  const isDefaultGateway = c.isDefaultGateway === true;
  return {
    bridge: c.bridge ?? "cni0",
    isGateway: c.isGateway === true || isDefaultGateway,
    isDefaultGateway,
    forceAddress: c.forceAddress === true,
    ...(c.mtu !== undefined && { mtu: c.mtu }),
    hairpin: c.hairpinMode === true,
    promisc: c.promiscMode === true,
    // A hairpin port echoes the container's own neighbour solicitations back to it, which DAD takes for a duplicate.
    dad: c.enabledad === true && c.hairpinMode !== true,
    ...(c.ipam?.type && { ipamType: c.ipam.type }),
    ipMasq: c.ipMasq === true,
  };
}
