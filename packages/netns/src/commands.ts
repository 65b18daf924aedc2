/**
 * iproute2 command lines as word arrays: the same words run as argv (`ip
 * <words>`) or as one line of `ip -batch -`. Every value is validated here, so
 * a batch line can never be re-split into something else.
 */
import { isIP } from "node:net";
import { CniError, ErrorCode, type Route } from "@tscni/types";
import { assertBatchToken, assertIfName, assertMac, assertMtu, assertNetnsPath } from "./names.js";

export type Words = string[];

export function assertIp(value: string, what: string): string {
  if (isIP(value) === 0) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what} ${JSON.stringify(value)}: not an IP address`);
  return value;
}

/** "addr/prefix" with the prefix in range for the family; host bits may be set. */
export function assertCidr(value: string, what: string): string {
  const slash = value.indexOf("/");
  const family = slash > 0 ? isIP(value.slice(0, slash)) : 0;
  const prefixText = value.slice(slash + 1);
  const prefix = Number(prefixText);
  if (family === 0 || !/^\d{1,3}$/u.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what} ${JSON.stringify(value)}: not a CIDR`);
  }
  return value;
}

function assertUint(value: number, what: string, max = 0xffffffff): string {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what} ${value}: must be an integer from 0 to ${max}`);
  }
  return String(value);
}

export interface BridgeSpec {
  name: string;
  mtu?: number;
  mac?: string;
  vlanFiltering?: boolean;
  /** Created up, saving a second request. */
  up?: boolean;
}

export function bridgeAdd(spec: BridgeSpec): Words {
  const words = ["link", "add", "name", assertIfName(spec.name, "bridge name")];
  if (spec.mtu !== undefined) words.push("mtu", String(assertMtu(spec.mtu)));
  if (spec.mac !== undefined) words.push("address", assertMac(spec.mac));
  if (spec.up) words.push("up");
  words.push("type", "bridge");
  if (spec.vlanFiltering !== undefined) words.push("vlan_filtering", spec.vlanFiltering ? "1" : "0");
  return words;
}

export interface VethEnd {
  name: string;
  mtu?: number;
  mac?: string;
}

/** Creates `local` here and `peer` directly in `peerNetnsPath`, so its name is only ever checked there. */
export function vethAdd(local: VethEnd, peer: VethEnd, peerNetnsPath: string): Words {
  const end = (e: VethEnd, what: string): Words => {
    const w = ["name", assertIfName(e.name, what)];
    if (e.mtu !== undefined) w.push("mtu", String(assertMtu(e.mtu)));
    if (e.mac !== undefined) w.push("address", assertMac(e.mac));
    return w;
  };
  return ["link", "add", ...end(local, "veth name"), "type", "veth", "peer", ...end(peer, "veth peer name"), "netns", assertNetnsPath(peerNetnsPath)];
}

export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** Bridge to enslave to; `null` releases the link from its master. */
  master?: string | null;
  promisc?: boolean;
  /** Receive all multicast frames (`ip link set ... allmulticast on`). */
  allmulti?: boolean;
  /** Move to this namespace (a path), optionally renamed by `name`. */
  netnsPath?: string;
  name?: string;
  /** Bridge port settings; the link must be (or become, via `master`) a bridge port. */
  hairpin?: boolean;
}

export function linkSet(dev: string, c: LinkChanges): Words {
  const words = ["link", "set", "dev", assertIfName(dev)];
  if (c.netnsPath !== undefined) words.push("netns", assertNetnsPath(c.netnsPath));
  if (c.name !== undefined) words.push("name", assertIfName(c.name));
  if (c.mtu !== undefined) words.push("mtu", String(assertMtu(c.mtu)));
  if (c.mac !== undefined) words.push("address", assertMac(c.mac));
  if (c.master === null) words.push("nomaster");
  else if (c.master !== undefined) words.push("master", assertIfName(c.master, "bridge name"));
  if (c.promisc !== undefined) words.push("promisc", c.promisc ? "on" : "off");
  if (c.allmulti !== undefined) words.push("allmulticast", c.allmulti ? "on" : "off");
  if (c.up !== undefined) words.push(c.up ? "up" : "down");
  return words;
}

/**
 * The lines for a set of link changes. Bridge-port options go in a second
 * request: the kernel refuses them (EOPNOTSUPP) in the request that sets the
 * master, since the link is not a port yet when they are parsed.
 */
export function linkSetLines(dev: string, c: LinkChanges): Words[] {
  const { hairpin, ...rest } = c;
  const lines: Words[] = [];
  if (Object.keys(rest).length > 0 || hairpin === undefined) lines.push(linkSet(dev, rest));
  if (hairpin !== undefined) lines.push(["link", "set", "dev", assertIfName(dev), "type", "bridge_slave", "hairpin", hairpin ? "on" : "off"]);
  return lines;
}

export function linkDel(dev: string): Words {
  return ["link", "del", "dev", assertIfName(dev)];
}

export interface AddressSpec {
  dev: string;
  /** "169.254.1.2/24", "fd00::2/64". */
  cidr: string;
  /** IPv6 only: skip duplicate address detection. */
  noDad?: boolean;
  /** Do not add the route to the address's subnet (point-to-point links route via a gateway instead). */
  noPrefixRoute?: boolean;
}

export function addrAdd(a: AddressSpec, replace = false): Words {
  const words = ["addr", replace ? "replace" : "add", assertCidr(a.cidr, "address"), "dev", assertIfName(a.dev)];
  if (a.noPrefixRoute) words.push("noprefixroute");
  if (a.noDad && a.cidr.includes(":")) words.push("nodad");
  return words;
}

export function addrDel(a: AddressSpec): Words {
  return ["addr", "del", assertCidr(a.cidr, "address"), "dev", assertIfName(a.dev)];
}

/** A route with the 1.1.0 attributes iproute2 can set. */
export interface RouteSpec {
  dst: string;
  gw?: string;
  dev?: string;
  /** Source address hint. */
  src?: string;
  mtu?: number;
  advmss?: number;
  /** The spec's `priority` is iproute2's `metric`. */
  priority?: number;
  table?: number;
  /** 0 global, 253 link, 254 host. */
  scope?: number;
}

/**
 * A result's route (the 1.1.0 model) as a RouteSpec: only the model's fields,
 * so a key some IPAM plugin added (a `src`, say) never reaches ip.
 */
export function routeSpecOf(r: Route): RouteSpec {
  return {
    dst: r.dst,
    ...(r.gw !== undefined && { gw: r.gw }),
    ...(r.mtu !== undefined && { mtu: r.mtu }),
    ...(r.advmss !== undefined && { advmss: r.advmss }),
    ...(r.priority !== undefined && { priority: r.priority }),
    ...(r.table !== undefined && { table: r.table }),
    ...(r.scope !== undefined && { scope: r.scope }),
  };
}

function routeWords(verb: "add" | "replace" | "del", r: RouteSpec): Words {
  const words = ["route", verb, assertCidr(r.dst, "route dst")];
  if (r.gw !== undefined) words.push("via", assertIp(r.gw, "route gw"));
  if (r.dev !== undefined) words.push("dev", assertIfName(r.dev));
  if (r.src !== undefined) words.push("src", assertIp(r.src, "route src"));
  if (r.priority !== undefined) words.push("metric", assertUint(r.priority, "route priority"));
  if (r.table !== undefined) words.push("table", assertUint(r.table, "route table"));
  if (r.scope !== undefined) words.push("scope", assertUint(r.scope, "route scope", 255));
  if (r.mtu !== undefined) words.push("mtu", assertUint(r.mtu, "route mtu"));
  if (r.advmss !== undefined) words.push("advmss", assertUint(r.advmss, "route advmss"));
  return words;
}

export function routeAdd(r: RouteSpec, replace = false): Words {
  return routeWords(replace ? "replace" : "add", r);
}

export function routeDel(r: RouteSpec): Words {
  return routeWords("del", r);
}

/** Every word of a batch line must survive `ip -batch`'s tokenizer unchanged. */
export function batchLine(words: Words): string {
  return words.map((w) => assertBatchToken(w, "ip argument")).join(" ");
}
