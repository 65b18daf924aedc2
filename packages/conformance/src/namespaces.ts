import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The argv of `ip` for one namespace; always an argv array, never a shell. */
async function ip(ns: string, args: string[]): Promise<string> {
  const { stdout } = await run("ip", ["-n", ns, ...args], { timeout: 10_000 });
  return stdout;
}

export interface Link {
  ifname: string;
  address?: string;
  kind?: string;
}
export interface Address {
  ifname: string;
  local: string;
  prefixlen: number;
}
export interface RouteEntry {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string | number;
}

export const uniqueNamespacePrefix = (): string => `cnic-${process.pid}-${randomBytes(3).toString("hex")}`;

export const netnsPath = (name: string): string => `/run/netns/${name}`;

/**
 * Throwaway namespaces for one conformance run: a "host" namespace the plugin
 * runs in, so nothing it does reaches the real host, and container namespaces.
 * Every name is unique to the run; `removeAll` deletes them all.
 */
export class NamespaceSet {
  private readonly created = new Set<string>();
  private counter = 0;
  host = "";

  constructor(readonly prefix: string = uniqueNamespacePrefix()) {}

  async createHost(): Promise<string> {
    this.host = await this.create("h");
    await ip(this.host, ["link", "set", "lo", "up"]);
    return this.host;
  }

  async create(tag = "c"): Promise<string> {
    const name = `${this.prefix}-${tag}${this.counter++}`;
    await run("ip", ["netns", "add", name]);
    this.created.add(name);
    return name;
  }

  async remove(name: string): Promise<void> {
    if (!this.created.has(name)) return;
    this.created.delete(name);
    await run("ip", ["netns", "del", name]).catch(() => undefined);
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.created].map((n) => this.remove(n)));
  }

  /** `ip netns exec <host>`: the prefix every plugin exec gets. */
  wrap(): string[] {
    return ["ip", "netns", "exec", this.host];
  }

  async links(ns: string): Promise<Link[]> {
    const raw = JSON.parse((await ip(ns, ["-d", "-json", "link", "show"])) || "[]") as Array<{
      ifname: string;
      address?: string;
      linkinfo?: { info_kind?: string };
    }>;
    return raw.map((l) => ({
      ifname: l.ifname,
      ...(l.address ? { address: l.address } : {}),
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    }));
  }

  async addresses(ns: string): Promise<Address[]> {
    const raw = JSON.parse((await ip(ns, ["-json", "addr", "show"])) || "[]") as Array<{
      ifname: string;
      addr_info?: Array<{ local: string; prefixlen: number }>;
    }>;
    return raw.flatMap((l) => (l.addr_info ?? []).map((a) => ({ ifname: l.ifname, local: a.local, prefixlen: a.prefixlen })));
  }

  async routes(ns: string): Promise<RouteEntry[]> {
    const out: RouteEntry[] = [];
    for (const fam of ["-4", "-6"]) {
      const raw = JSON.parse((await ip(ns, [fam, "-json", "route", "show", "table", "all"])) || "[]") as RouteEntry[];
      out.push(...raw.map((r) => ({ ...r, dst: r.dst === "default" ? (fam === "-4" ? "0.0.0.0/0" : "::/0") : r.dst })));
    }
    return out;
  }

  /**
   * Does what an interface-creating plugin before a chained one would have done: a veth pair
   * with `hostIf` in the host namespace (with the gateway address) and `ifname` in `ns` (with
   * `cidr`, up, a route via the gateway). Returns the host end's MAC, which the kernel picks.
   */
  async addPredecessor(ns: string, p: { ifname: string; hostIf: string; mac: string; cidr: string; gateway: string; route: string }): Promise<string> {
    await ip(this.host, ["link", "add", p.hostIf, "type", "veth", "peer", "name", p.ifname, "netns", ns]);
    await ip(this.host, ["addr", "add", `${p.gateway}/32`, "dev", p.hostIf]);
    await ip(this.host, ["link", "set", p.hostIf, "up"]);
    await ip(ns, ["link", "set", p.ifname, "address", p.mac]);
    await ip(ns, ["addr", "add", p.cidr, "dev", p.ifname]);
    await ip(ns, ["link", "set", p.ifname, "up"]);
    await ip(ns, ["route", "add", p.route, "via", p.gateway, "dev", p.ifname]);
    const link = (await this.links(this.host)).find((l) => l.ifname === p.hostIf);
    return link?.address ?? "";
  }

  /** Runs a command inside a namespace of the set (for `nft` and `tc`, which have no `-n`). */
  async execIn(ns: string, argv: string[]): Promise<string> {
    const { stdout } = await run("ip", ["netns", "exec", ns, ...argv], { timeout: 10_000, maxBuffer: 16 << 20 });
    return stdout;
  }
}
