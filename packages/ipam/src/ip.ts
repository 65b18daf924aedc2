/**
 * IPv4/IPv6 addresses and prefixes as BigInt, with strict parsing and Go's
 * canonical text form.
 *
 * Our own ~150 lines instead of ipaddr.js: every plugin exec pays for its
 * bundle, the maths needed here is next/previous/contains/compare (BigInt does
 * it directly), and the parser must be strict anyway (ipaddr.js reads
 * `010.0.0.1` as octal and `10.1` as 10.0.0.1, which a config must not mean).
 * The text form is the one Go's net.IP.String() prints, because host-local
 * names its reservation files with it and Go's plugin must find ours.
 */
import { formatIPv6 } from "@tscni/types/ip-text";

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** An address with a prefix length; `address` keeps its host bits as written. */
export interface IpPrefix {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

export function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

const V4_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6Groups(side: string): bigint[] | undefined {
  if (side === "") return [];
  const groups: bigint[] = [];
  const pieces = side.split(":");
  for (const [i, piece] of pieces.entries()) {
    if (i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseV4(piece);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (V6_GROUP.test(piece)) {
      groups.push(BigInt(Number.parseInt(piece, 16)));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseV6(s: string): bigint | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = parseV6Groups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseV6Groups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 tail is only allowed at the very end.
  if (halves.length === 2 && (halves[0] ?? "").includes(".")) return undefined;
  const given = head.length + tail.length;
  // "::" stands for at least one zero group (as Go requires); without it all eight must be there.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...Array<bigint>(8 - given).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses a plain address (no prefix, no zone); undefined when it is not one. */
export function parseIp(s: string): IpAddress | undefined {
  if (s.includes(":")) {
    const value = parseV6(s);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { family: 4, value };
}

/** Parses `addr/len`; the address keeps its host bits. */
export function parsePrefix(s: string): IpPrefix | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!address || !/^(?:0|[1-9]\d{0,2})$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > bitsOf(address.family)) return undefined;
  return { address, prefixLength };
}

/** Go's net.IP.String(): dotted IPv4; IPv6 in RFC 5952 form (formatIPv6 in @tscni/types). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join(".");
  }
  return formatIPv6(ip.value);
}

export function formatPrefix(p: IpPrefix): string {
  return `${formatIp(p.address)}/${p.prefixLength}`;
}

function hostMask(family: IpFamily, prefixLength: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefixLength)) - 1n;
}

/** The first address of the prefix (host bits cleared). */
export function networkAddress(p: IpPrefix): IpAddress {
  const { family, value } = p.address;
  return { family, value: value & ~hostMask(family, p.prefixLength) };
}

/** The last address of the prefix (host bits set; the IPv4 broadcast address). */
export function lastAddress(p: IpPrefix): IpAddress {
  const { family, value } = p.address;
  return { family, value: value | hostMask(family, p.prefixLength) };
}

export function prefixContains(p: IpPrefix, ip: IpAddress): boolean {
  return ip.family === p.address.family && ip.value >= networkAddress(p).value && ip.value <= lastAddress(p).value;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/** Orders IPv4 before IPv6, then by value. */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The next address, or undefined past the end of the family's space. */
export function nextIp(ip: IpAddress): IpAddress | undefined {
  const value = ip.value + 1n;
  return value >> BigInt(bitsOf(ip.family)) ? undefined : { family: ip.family, value };
}

/** The previous address, or undefined before the start of the family's space. */
export function previousIp(ip: IpAddress): IpAddress | undefined {
  return ip.value === 0n ? undefined : { family: ip.family, value: ip.value - 1n };
}
