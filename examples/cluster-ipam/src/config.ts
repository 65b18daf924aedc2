/**
 * cluster-ipam's configuration: the zod/mini schema skel validates stdin with
 * (built on first use, never on VERSION), and the normalisation handlers go
 * through, so they see only valid values. Every rejection is code 7 naming the
 * field and its value.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { EtcdClient, type EtcdTls } from "@tscni/etcd";
import { invocationEnv } from "@tscni/invoke";
import {
  type IpPrefix,
  type RangeSet,
  type RequestedAddress,
  checkDns,
  checkRoutes,
  formatIp,
  formatRangeSet,
  ipamConfigShapes,
  parsePrefix,
  parseRangeSets,
  rangeFor,
  readResolvConf,
  requestedAddresses,
} from "@tscni/ipam";
import { type AttachmentId, ClusterStore } from "@tscni/ipam/cluster";
import type { CmdArgs } from "@tscni/skel";
import { CniError, type DNS, ErrorCode, type NetConf, type Route } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function clusterIpamConfigSchema() {
  const { range, route, dns, args } = ipamConfigShapes();
  return z.looseObject({
    ipam: z.looseObject({
      type: z.optional(z.string()),
      etcd: z.looseObject({
        endpoints: z.array(z.string()),
        /** Where the keys live; default /tscni/ipam/. */
        prefix: z.optional(z.string()),
        tls: z.optional(z.looseObject({ ca: z.optional(z.string()), cert: z.optional(z.string()), key: z.optional(z.string()) })),
        /** The bound on one invocation's etcd work, all endpoints included; default 10 s. */
        timeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(120_000))),
      }),
      /** Recorded in every reservation; GC releases only this node's. Default TSCNI_NODE_NAME, then the host name. */
      nodeName: z.optional(z.string()),
      ranges: z.array(z.array(range)),
      /** CIDRs never handed out. */
      exclude: z.optional(z.array(z.string())),
      routes: z.optional(z.array(route)),
      resolvConf: z.optional(z.string()),
      dns: z.optional(dns),
    }),
    runtimeConfig: z.optional(z.looseObject({ ips: z.optional(z.array(z.string())) })),
    args: z.optional(args),
  });
}

export type ClusterIpamConfig = NetConf & z.infer<ReturnType<typeof clusterIpamConfigSchema>>;
export type ClusterIpamArgs = CmdArgs<ClusterIpamConfig>;

function invalid(path: string, message: string, value?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${path}: ${message}`, value);
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export function nodeNameOf(config: ClusterIpamConfig): string {
  const [name, from] = config.ipam.nodeName
    ? [config.ipam.nodeName, "ipam.nodeName"]
    : invocationEnv().TSCNI_NODE_NAME
      ? [invocationEnv().TSCNI_NODE_NAME!, "TSCNI_NODE_NAME"]
      : [hostname(), "the host name"];
  if (!NODE_NAME.test(name)) throw invalid(from, `"${name}" is not a node name (letters, digits, . _ -, at most 253)`, name);
  return name;
}

function readPem(path: string | undefined, field: string): Buffer | undefined {
  if (path === undefined || path === "") return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw invalid(field, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
}

function tlsOf(config: ClusterIpamConfig): EtcdTls | undefined {
  const tls = config.ipam.etcd.tls;
  if (!tls) return undefined;
  const ca = readPem(tls.ca, "ipam.etcd.tls.ca");
  const cert = readPem(tls.cert, "ipam.etcd.tls.cert");
  const key = readPem(tls.key, "ipam.etcd.tls.key");
  if (!!cert !== !!key) throw invalid("ipam.etcd.tls", "cert and key go together: set both or neither");
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

/**
 * Runs `work` against this network's store with one etcd client whose every
 * call ends by the invocation's deadline, and closes its connections after.
 */
export async function withStore<T>(args: ClusterIpamArgs, work: (store: ClusterStore) => Promise<T>): Promise<T> {
  const { etcd } = args.config.ipam;
  const tls = tlsOf(args.config);
  const client = new EtcdClient({
    endpoints: etcd.endpoints,
    ...(tls && { tls }),
    deadline: Date.now() + (etcd.timeoutMs ?? 10_000),
    ...(etcd.timeoutMs !== undefined && { timeoutMs: etcd.timeoutMs }),
  });
  try {
    const store = new ClusterStore({
      client,
      network: args.config.name,
      node: nodeNameOf(args.config),
      ...(etcd.prefix !== undefined && { prefix: etcd.prefix }),
    });
    return await work(store);
  } finally {
    client.close();
  }
}

export function attachmentOf(args: ClusterIpamArgs): AttachmentId {
  return { containerId: args.containerId, ifName: args.ifName };
}

export function rangeSetsOf(config: ClusterIpamConfig): RangeSet[] {
  if (config.ipam.ranges.length === 0) throw invalid("ipam.ranges", "no ranges: set at least one range set");
  return parseRangeSets(config.ipam.ranges, "ipam.ranges");
}

export interface AddSettings {
  rangeSets: RangeSet[];
  requested: (RequestedAddress | undefined)[];
  exclude: IpPrefix[];
  routes: Route[];
  dns: DNS | undefined;
}

/** Everything ADD needs, validated. */
export function addSettings(args: ClusterIpamArgs): AddSettings {
  const { config } = args;
  const rangeSets = rangeSetsOf(config);
  const exclude = (config.ipam.exclude ?? []).map((text, i) => {
    const prefix = parsePrefix(text);
    if (!prefix) throw invalid(`ipam.exclude[${i}]`, `"${text}" is not a CIDR`, text);
    return prefix;
  });
  const requested: (RequestedAddress | undefined)[] = rangeSets.map(() => undefined);
  const requests = requestedAddresses({ runtimeConfigIps: config.runtimeConfig?.ips, argsIps: config.args?.cni?.ips, cniArgsIp: args.args.IP });
  for (const r of requests) {
    const index = rangeSets.findIndex((set) => rangeFor(set, r.ip));
    if (index < 0) throw invalid(r.from, `${formatIp(r.ip)} is in no range set (${rangeSets.map(formatRangeSet).join("; ")})`, formatIp(r.ip));
    if (requested[index]) throw invalid(r.from, `asks for a second address in range set ${index}`);
    requested[index] = r;
  }
  const fromFile = config.ipam.resolvConf ? readResolvConf(config.ipam.resolvConf) : undefined;
  const dns = checkDns({ ...fromFile, ...config.ipam.dns }, "ipam.dns");
  return { rangeSets, requested, exclude, routes: checkRoutes(config.ipam.routes, "ipam.routes"), dns };
}
