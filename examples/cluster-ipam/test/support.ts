/** Shared by cluster-ipam's tests: exec the bundle like a runtime, and read etcd the way an operator would. */
import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { EtcdClient, type EtcdTls } from "@tscni/etcd";
import { execPluginBinary, type RunOutput } from "@tscni/netns/testkit";
import { pluginPath } from "../../../test/support/plugin-bin.js";

export const OURS = pluginPath("cluster-ipam");
export const PREFIX = "/tscni/ipam/";

export interface NetworkOptions {
  name: string;
  endpoints: readonly string[];
  subnet?: string;
  cniVersion?: string;
  ipam?: Record<string, unknown>;
  etcd?: Record<string, unknown>;
}

export function network(o: NetworkOptions): Record<string, unknown> {
  return {
    cniVersion: o.cniVersion ?? "1.1.0",
    name: o.name,
    type: "cluster-ipam",
    ipam: {
      type: "cluster-ipam",
      etcd: { endpoints: o.endpoints, ...o.etcd },
      ranges: [[{ subnet: o.subnet ?? "169.254.60.0/24" }]],
      ...o.ipam,
    },
  };
}

export interface Call {
  command: "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";
  config: object;
  node: string;
  containerId?: string;
  ifName?: string;
  args?: string;
}

export function run(call: Call): Promise<RunOutput> {
  const { node, ...rest } = call;
  return execPluginBinary({ binary: OURS, netns: "/var/run/netns/tscni-ci-unused", path: ["/usr/lib/cni"], env: { TSCNI_NODE_NAME: node }, ...rest });
}

/** Starts ADD and kills the process with SIGKILL after `afterMs`; resolves when it is gone. */
export function addKilledAfter(call: Call, afterMs: number): Promise<void> {
  const env = {
    PATH: [dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? "c",
    CNI_NETNS: "/var/run/netns/tscni-ci-unused",
    CNI_IFNAME: call.ifName ?? "eth0",
    CNI_PATH: "",
    TSCNI_NODE_NAME: call.node,
  };
  return new Promise((done) => {
    const child = spawn(OURS, [], { env, stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(call.config));
    const timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
    child.on("close", () => {
      clearTimeout(timer);
      done();
    });
  });
}

export function addressesOf(json: unknown): string[] {
  return ((json as { ips?: { address: string }[] }).ips ?? []).map((ip) => ip.address.split("/")[0] as string);
}

export interface NetworkKeys {
  /** address -> holder record */
  addresses: Map<string, { node: string; containerId: string; ifName: string; time: string; createRevision: bigint }>;
  /** "containerId/ifName" -> index record */
  attachments: Map<string, { node: string; addresses: string[]; createRevision: bigint }>;
}

/** Every key of one network, as `etcdctl get --prefix` would list them. */
export async function readNetwork(endpoints: readonly string[], name: string, tls?: EtcdTls): Promise<NetworkKeys> {
  const client = new EtcdClient({ endpoints, ...(tls && { tls }) });
  try {
    const base = `${PREFIX}${name}/`;
    const { kvs } = await client.range(base, { prefix: true });
    const keys: NetworkKeys = { addresses: new Map(), attachments: new Map() };
    for (const kv of kvs) {
      const rest = kv.key.slice(base.length);
      if (rest.startsWith("_attachments/")) {
        const v = JSON.parse(kv.value) as { node: string; addresses: string[] };
        keys.attachments.set(rest.slice("_attachments/".length), { ...v, createRevision: kv.createRevision });
      } else if (!rest.startsWith("_")) {
        keys.addresses.set(rest, { ...(JSON.parse(kv.value) as { node: string; containerId: string; ifName: string; time: string }), createRevision: kv.createRevision });
      }
    }
    return keys;
  } finally {
    client.close();
  }
}

/**
 * Half-written state: an address key no index lists, or an index naming an
 * address key that is missing or was written by another transaction.
 */
export function orphans(keys: NetworkKeys): string[] {
  const found: string[] = [];
  const listed = new Set<string>();
  for (const [id, a] of keys.attachments) {
    for (const address of a.addresses) {
      listed.add(address);
      const holder = keys.addresses.get(address);
      if (!holder) found.push(`index ${id} lists ${address}, which has no address key`);
      else if (holder.createRevision !== a.createRevision || `${holder.containerId}/${holder.ifName}` !== id) {
        found.push(`index ${id} lists ${address}, held by ${holder.containerId}/${holder.ifName}`);
      }
    }
  }
  for (const address of keys.addresses.keys()) if (!listed.has(address)) found.push(`address key ${address} has no index`);
  return found;
}
