/**
 * Every value that goes into an nftables rule passes through here first: an
 * address, a prefix, a port, a protocol, an interface name. Each comes back in
 * one canonical spelling or is refused with code 7 naming the field, so no
 * config or CNI_ARGS text can ever add words of its own to a rule.
 */
import { assertIfName, canonicalIp, canonicalNetwork } from "@tscni/netns";
import { CniError, ErrorCode } from "@tscni/types";

export type Family = 4 | 6;

export interface NftAddress {
  readonly family: Family;
  /** Canonical text, e.g. "169.254.1.2" or "fd00::2". */
  readonly text: string;
}

function invalid(field: string, message: string, value: unknown): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${field}: ${message}`, JSON.stringify(value));
}

export function nftAddress(value: unknown, field: string): NftAddress {
  const text = typeof value === "string" ? canonicalIp(value) : undefined;
  if (text === undefined) throw invalid(field, "not an IP address", value);
  return { family: text.includes(":") ? 6 : 4, text };
}

/** A network in CIDR form, host bits cleared. */
export function nftPrefix(value: unknown, field: string): NftAddress {
  const text = typeof value === "string" ? canonicalNetwork(value) : undefined;
  if (text === undefined) throw invalid(field, "not a CIDR", value);
  return { family: text.includes(":") ? 6 : 4, text };
}

export function nftPort(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalid(field, "not a port number (1-65535)", value);
  }
  return value;
}

export type Protocol = "tcp" | "udp" | "sctp";

export function nftProtocol(value: unknown, field: string): Protocol {
  const p = typeof value === "string" ? value.toLowerCase() : value;
  if (p !== "tcp" && p !== "udp" && p !== "sctp") throw invalid(field, 'expected "tcp", "udp" or "sctp"', value);
  return p;
}

export function nftIfName(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalid(field, "not an interface name", value);
  return assertIfName(value, field);
}

/** The nft keyword of a family's network-layer header and of its NAT statements. */
export function ipKeyword(family: Family): "ip" | "ip6" {
  return family === 4 ? "ip" : "ip6";
}

/** An address with a port as a NAT target: 169.254.1.2:80 or [fd00::2]:80. */
export function natTarget(address: NftAddress, port: number): string {
  return address.family === 4 ? `${address.text}:${port}` : `[${address.text}]:${port}`;
}
