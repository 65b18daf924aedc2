/**
 * Address ranges as host-local understands them: a subnet, an inclusive
 * [rangeStart, rangeEnd] inside it and a gateway that is never handed out.
 * A range set is a list of ranges of one family; an ADD takes one address
 * from each range set of a network.
 */
import { CniError, ErrorCode } from "@tscni/types";
import {
  type IpAddress,
  type IpPrefix,
  bitsOf,
  formatIp,
  formatPrefix,
  ipEquals,
  lastAddress,
  networkAddress,
  nextIp,
  parseIp,
  parsePrefix,
  prefixContains,
  previousIp,
} from "./ip.js";

/** A range as written in a config (strings), before validation. */
export interface RangeInput {
  subnet: string;
  rangeStart?: string | undefined;
  rangeEnd?: string | undefined;
  gateway?: string | undefined;
}

/** A validated range with every default filled in. */
export interface Range {
  /** Network address and prefix length (host bits clear). */
  readonly subnet: IpPrefix;
  readonly rangeStart: IpAddress;
  readonly rangeEnd: IpAddress;
  readonly gateway: IpAddress;
}

export type RangeSet = readonly Range[];

function invalid(path: string, message: string, value?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${path}: ${message}`, value);
}

function parseAddressField(path: string, text: string): IpAddress {
  const ip = parseIp(text);
  if (!ip) throw invalid(path, `"${text}" is not an IP address`, text);
  return ip;
}

/**
 * Validates one range and fills in Go's defaults: gateway = first address after
 * the network address, rangeStart = the same, rangeEnd = the last address (IPv4:
 * the one before broadcast). The network address and the IPv4 broadcast address
 * can never be handed out. `path` names the range in messages, e.g. `ipam.ranges[0][1]`.
 */
export function parseRange(input: RangeInput, path: string): Range {
  const written = parsePrefix(input.subnet);
  if (!written) throw invalid(`${path}.subnet`, `"${input.subnet}" is not a CIDR subnet`, input.subnet);
  const family = written.address.family;
  const network = networkAddress(written);
  if (network.value !== written.address.value) {
    throw invalid(
      `${path}.subnet`,
      `"${input.subnet}" has host bits set; the network address for /${written.prefixLength} is ${formatIp(network)}`,
      input.subnet,
    );
  }
  if (written.prefixLength > bitsOf(family) - 2) {
    throw invalid(`${path}.subnet`, `"${input.subnet}" is too small to allocate from (at most /${bitsOf(family) - 2})`, input.subnet);
  }
  const subnet: IpPrefix = { address: network, prefixLength: written.prefixLength };
  const broadcast = lastAddress(subnet);
  // Both exist: the prefix is at most /30 or /126.
  const firstHost = nextIp(network) as IpAddress;
  const lastHost = family === 4 ? (previousIp(broadcast) as IpAddress) : broadcast;
  const cidr = formatPrefix(subnet);

  const checkInside = (field: string, text: string): IpAddress => {
    const ip = parseAddressField(`${path}.${field}`, text);
    if (!prefixContains(subnet, ip)) throw invalid(`${path}.${field}`, `${text} is not in subnet ${cidr}`, text);
    if (ipEquals(ip, network)) throw invalid(`${path}.${field}`, `${text} is the network address of ${cidr}`, text);
    if (family === 4 && ipEquals(ip, broadcast)) {
      throw invalid(`${path}.${field}`, `${text} is the broadcast address of ${cidr}`, text);
    }
    return ip;
  };

  const rangeStart = input.rangeStart ? checkInside("rangeStart", input.rangeStart) : firstHost;
  const rangeEnd = input.rangeEnd ? checkInside("rangeEnd", input.rangeEnd) : lastHost;
  const gateway = input.gateway ? checkInside("gateway", input.gateway) : firstHost;
  if (rangeStart.value > rangeEnd.value) {
    throw invalid(`${path}.rangeEnd`, `${formatIp(rangeEnd)} is before rangeStart ${formatIp(rangeStart)}`, input.rangeEnd);
  }
  if (ipEquals(rangeStart, rangeEnd) && ipEquals(rangeStart, gateway)) {
    throw invalid(path, `range ${formatIp(rangeStart)}-${formatIp(rangeEnd)} holds only the gateway, nothing to allocate`);
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

export function rangeContains(range: Range, ip: IpAddress): boolean {
  return ip.family === range.rangeStart.family && ip.value >= range.rangeStart.value && ip.value <= range.rangeEnd.value;
}

export function rangesOverlap(a: Range, b: Range): boolean {
  return (
    a.rangeStart.family === b.rangeStart.family &&
    a.rangeStart.value <= b.rangeEnd.value &&
    b.rangeStart.value <= a.rangeEnd.value
  );
}

/** `start-end`, Go's way of naming a range in messages. */
export function formatRange(range: Range): string {
  return `${formatIp(range.rangeStart)}-${formatIp(range.rangeEnd)}`;
}

export function formatRangeSet(set: RangeSet): string {
  return set.map(formatRange).join(",");
}

/** The range of the set that holds `ip` (for the gateway to report), if any. */
export function rangeFor(set: RangeSet, ip: IpAddress): Range | undefined {
  return set.find((r) => rangeContains(r, ip));
}

/** How many addresses the set can hand out: every address of every range, minus the gateways inside them. */
export function rangeSetSize(set: RangeSet): bigint {
  let size = 0n;
  for (const r of set) size += r.rangeEnd.value - r.rangeStart.value + 1n;
  const gateways = new Set(set.map((r) => r.gateway.value));
  for (const gw of gateways) {
    if (set.some((r) => rangeContains(r, { family: r.gateway.family, value: gw }))) size -= 1n;
  }
  return size;
}

/** True when `ip` is some range's gateway, which is never allocated. */
export function isGatewayOf(set: RangeSet, ip: IpAddress): boolean {
  return set.some((r) => ipEquals(r.gateway, ip));
}

/**
 * Validates a network's range sets: each range, one family per set, and no two
 * ranges (in one set or across sets) sharing an address. `path` is e.g. `ipam.ranges`.
 */
export function parseRangeSets(
  inputs: readonly (readonly RangeInput[])[],
  path: string,
  /** Names a range in messages when it was not written at `path[i][j]` (e.g. the legacy `ipam.subnet` form). */
  pathOf: (set: number, range: number) => string = (i, j) => `${path}[${i}][${j}]`,
): RangeSet[] {
  if (inputs.length === 0) throw invalid(path, "at least one range set is required");
  const sets = inputs.map((set, i) => {
    if (set.length === 0) throw invalid(`${path}[${i}]`, "a range set needs at least one range");
    return set.map((r, j) => parseRange(r, pathOf(i, j)));
  });
  const all = sets.flatMap((set, i) => set.map((range, j) => ({ range, where: pathOf(i, j), set: i })));
  for (const [i, set] of sets.entries()) {
    const family = set[0]?.subnet.address.family;
    const mixed = set.findIndex((r) => r.subnet.address.family !== family);
    if (mixed >= 0) {
      throw invalid(`${pathOf(i, mixed)}.subnet`, `mixes IPv${family} and IPv${family === 4 ? 6 : 4} in one range set`);
    }
  }
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const x = all[a];
      const y = all[b];
      if (x && y && rangesOverlap(x.range, y.range)) {
        throw invalid(
          y.where,
          `range ${formatRange(y.range)} overlaps ${x.where} (${formatRange(x.range)})`,
          formatRange(y.range),
        );
      }
    }
  }
  return sets;
}
