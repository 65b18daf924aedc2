/**
 * static's configuration: the zod schema (shapes, built on first use) and the
 * normalisation ADD uses. Where the addresses come from, as Go's static plugin
 * decides it: `runtimeConfig.ips` (the `ips` capability) replaces everything,
 * else `args.cni.ips` replaces the config's addresses, else the config's
 * `ipam.addresses` plus `IP=` from CNI_ARGS; CNI_ARGS `GATEWAY=` sets the
 * gateway of each `IP=` address whose subnet holds it. Every rejection names the field.
 */
import {
  type IpAddress,
  type IpPrefix,
  type RequestedAddress,
  checkDns,
  checkRoutes,
  formatIp,
  formatPrefix,
  ipamConfigShapes,
  parseIp,
  parsePrefix,
  requestedAddresses,
} from "@tscni/ipam";
import { prefixContains } from "@tscni/ipam/ip";
import type { CmdArgs } from "@tscni/skel";
import { CniError, type DNS, ErrorCode, type IPConfig, type NetConf, type Route } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function staticConfigSchema() {
  // Loose here so DEL never fails on a config edited after ADD; ADD refuses unknown keys (fromConfig).
  const address = z.looseObject({ address: z.string(), gateway: z.optional(z.string()) });
  const { route, dns, args } = ipamConfigShapes();
  return z.looseObject({
    ipam: z.looseObject({
      type: z.optional(z.string()),
      addresses: z.optional(z.array(address)),
      routes: z.optional(z.array(route)),
      dns: z.optional(dns),
    }),
    runtimeConfig: z.optional(z.looseObject({ ips: z.optional(z.array(z.string())) })),
    args: z.optional(args),
  });
}

export type StaticConfig = NetConf & z.infer<ReturnType<typeof staticConfigSchema>>;
export type StaticArgs = CmdArgs<StaticConfig>;

export interface StaticSettings {
  ips: IPConfig[];
  routes: Route[];
  dns: DNS | undefined;
}

interface Entry {
  prefix: IpPrefix;
  gateway: IpAddress | undefined;
  from: string;
}

function invalid(path: string, message: string, value?: string, code: number = ErrorCode.InvalidNetworkConfig): CniError {
  return new CniError(code, `${path}: ${message}`, value);
}

function fromConfig(config: StaticConfig): Entry[] {
  return (config.ipam.addresses ?? []).map((a, i) => {
    const path = `ipam.addresses[${i}]`;
    const unknown = Object.keys(a).find((k) => k !== "address" && k !== "gateway");
    if (unknown !== undefined) throw invalid(path, `unknown key "${unknown}" (an address has address, gateway)`, unknown);
    const prefix = parsePrefix(a.address);
    if (!prefix) throw invalid(`${path}.address`, `"${a.address}" is not an address with a prefix length`, a.address);
    let gateway: IpAddress | undefined;
    if (a.gateway !== undefined && a.gateway !== "") {
      gateway = parseIp(a.gateway);
      if (!gateway) throw invalid(`${path}.gateway`, `"${a.gateway}" is not an IP address`, a.gateway);
    }
    return { prefix, gateway, from: path };
  });
}

function fromRequests(requests: RequestedAddress[]): Entry[] {
  // requirePrefix makes every request carry one.
  return requests.map((r) => ({ prefix: r.prefix as IpPrefix, gateway: undefined, from: r.from }));
}

function applyGatewayArgs(entries: Entry[], text: string): void {
  for (const item of text.split(",")) {
    const gw = parseIp(item.trim());
    if (!gw) throw invalid("CNI_ARGS GATEWAY", `"${item}" is not an IP address`, item, ErrorCode.InvalidEnvironment);
    const targets = entries.filter((e) => prefixContains(e.prefix, gw));
    if (targets.length === 0) {
      throw invalid("CNI_ARGS GATEWAY", `${formatIp(gw)} is in none of the IP= addresses' subnets`, item, ErrorCode.InvalidEnvironment);
    }
    for (const e of targets) e.gateway = gw;
  }
}

/** Everything ADD returns, validated. */
export function staticSettings(args: StaticArgs): StaticSettings {
  const { config } = args;
  const sources = { runtimeConfigIps: config.runtimeConfig?.ips, argsIps: config.args?.cni?.ips, cniArgsIp: args.args.IP };
  let entries: Entry[];
  if (sources.runtimeConfigIps?.length) {
    entries = fromRequests(requestedAddresses({ runtimeConfigIps: sources.runtimeConfigIps }, { requirePrefix: true }));
  } else if (sources.argsIps?.length) {
    entries = fromRequests(requestedAddresses({ argsIps: sources.argsIps }, { requirePrefix: true }));
  } else {
    const fromArgs = fromRequests(requestedAddresses({ cniArgsIp: sources.cniArgsIp }, { requirePrefix: true }));
    // GATEWAY= pairs with IP= (as in Go's static): it never changes a configured address's gateway.
    if (args.args.GATEWAY) applyGatewayArgs(fromArgs, args.args.GATEWAY);
    entries = [...fromConfig(config), ...fromArgs];
  }
  if (entries.length === 0) {
    throw invalid("ipam.addresses", "no address: set ipam.addresses, or pass runtimeConfig.ips, args.cni.ips or IP= in CNI_ARGS");
  }
  for (const e of entries) {
    if (e.gateway && e.gateway.family !== e.prefix.address.family) {
      throw invalid(e.from, `gateway ${formatIp(e.gateway)} is IPv${e.gateway.family} but the address ${formatPrefix(e.prefix)} is IPv${e.prefix.address.family}`);
    }
  }
  if (/^0\.[12]\./.test(config.cniVersion)) {
    for (const family of [4, 6] as const) {
      const same = entries.filter((e) => e.prefix.address.family === family);
      if (same.length > 1) {
        throw invalid(same[1]?.from ?? "ipam.addresses", `cniVersion ${config.cniVersion} results carry one IPv${family} address; this is the second`);
      }
    }
  }
  return {
    ips: entries.map((e) => ({ address: formatPrefix(e.prefix), ...(e.gateway && { gateway: formatIp(e.gateway) }) })),
    routes: checkRoutes(config.ipam.routes, "ipam.routes"),
    dns: checkDns(config.ipam.dns, "ipam.dns"),
  };
}
