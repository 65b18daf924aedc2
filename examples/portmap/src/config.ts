/**
 * portmap's configuration: the `portMappings` capability from runtimeConfig,
 * and Go's `snat`, `conditionsV4`/`conditionsV6` and `backend`. The schema
 * checks shapes (built on first use, never on VERSION); `mappingsOf` and
 * `conditionsOf` check values, naming the field.
 */
import { type NftAddress, type Protocol, nftAddress, nftPort, nftPrefix, nftProtocol } from "@tscni/nft";
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode, type NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function portmapConfigSchema() {
  const mapping = z.looseObject({
    hostPort: z.number(),
    containerPort: z.number(),
    protocol: z.optional(z.string()),
    hostIP: z.optional(z.string()),
  });
  return z.looseObject({
    snat: z.optional(z.boolean()),
    backend: z.optional(z.string()),
    conditionsV4: z.optional(z.array(z.string())),
    conditionsV6: z.optional(z.array(z.string())),
    runtimeConfig: z.optional(z.looseObject({ portMappings: z.optional(z.array(mapping)) })),
  });
}

export type PortmapConfig = NetConf & z.infer<ReturnType<typeof portmapConfigSchema>>;
export type PortmapArgs = CmdArgs<PortmapConfig>;

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: Protocol;
  readonly hostIP: NftAddress | undefined;
}

export function mappingsOf(config: PortmapConfig): PortMapping[] {
  if (config.backend !== undefined && config.backend !== "nftables") {
    throw new CniError(ErrorCode.UnsupportedField, `unsupported field backend: ${JSON.stringify(config.backend)}`, 'this portmap drives nftables only; use "nftables" or leave it out');
  }
  return (config.runtimeConfig?.portMappings ?? []).map((m, i) => {
    const at = `runtimeConfig.portMappings[${i}]`;
    return {
      hostPort: nftPort(m.hostPort, `${at}.hostPort`),
      containerPort: nftPort(m.containerPort, `${at}.containerPort`),
      protocol: nftProtocol(m.protocol ?? "tcp", `${at}.protocol`),
      hostIP: m.hostIP === undefined || m.hostIP === "" ? undefined : nftAddress(m.hostIP, `${at}.hostIP`),
    };
  });
}

/**
 * Go's conditions are iptables match arguments. nftables has another syntax,
 * so the forms that mean a source or destination network are translated
 * (`-s CIDR`, `-d CIDR`, each optionally after `!`); anything else is
 * refused (code 2), never passed through.
 */
export function conditionsOf(config: PortmapConfig, family: 4 | 6): string[] {
  const field = family === 4 ? "conditionsV4" : "conditionsV6";
  const words = (family === 4 ? config.conditionsV4 : config.conditionsV6) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; ) {
    const negate = words[i] === "!";
    if (negate) i++;
    const flag = words[i];
    const value = words[i + 1];
    const direction = flag === "-s" || flag === "--source" ? "saddr" : flag === "-d" || flag === "--destination" ? "daddr" : undefined;
    if (!direction || value === undefined) {
      throw new CniError(ErrorCode.UnsupportedField, `unsupported field ${field}[${i}]: ${JSON.stringify(flag)}`, "supported: -s CIDR, -d CIDR, each optionally after !");
    }
    const prefix = nftPrefix(value.includes("/") ? value : `${value}/${family === 4 ? 32 : 128}`, `${field}[${i + 1}]`);
    if (prefix.family !== family) throw new CniError(ErrorCode.InvalidNetworkConfig, `${field}[${i + 1}]: ${value} is not an IPv${family} network`);
    out.push(`${family === 4 ? "ip" : "ip6"} ${direction} ${negate ? "!= " : ""}${prefix.text}`);
    i += 2;
  }
  return out;
}
