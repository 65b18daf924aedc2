/**
 * fast-check generators of valid results in the compact form the SDK prints
 * (no empty strings, lists or zero MTUs), so equality after a round trip
 * means nothing was lost. IPv6 addresses are in canonical RFC 5952 form, as
 * Go prints them, so the same values can be compared with Go's output.
 */
import fc from "fast-check";
import { formatIPv6Groups } from "@tscni/types/ip-text";
import type { Result, Result020 } from "@tscni/types";

export const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
// Mostly zero groups, so that "::" compression is exercised; the first group keeps it out of v4-mapped space.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.nat(0xffff));
export const ipv6 = fc
  .tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), fc.array(group, { minLength: 7, maxLength: 7 }))
  .map(([first, rest]) => formatIPv6Groups([first, ...rest]));
export const cidr4 = fc.tuple(ipv4, fc.nat(32)).map(([a, p]) => `${a}/${p}`);
export const cidr6 = fc.tuple(ipv6, fc.nat(128)).map(([a, p]) => `${a}/${p}`);
export const cidr = fc.oneof(cidr4, cidr6);
export const ip = fc.oneof(ipv4, ipv6);

const word = fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}$/);
const positive = fc.integer({ min: 1, max: 65535 });

function opt<T>(arb: fc.Arbitrary<T>) {
  return fc.option(arb, { nil: undefined });
}

/** Drops keys whose value is undefined (exactOptionalPropertyTypes). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const iface = fc
  .record({ name: word, mac: opt(word), mtu: opt(positive), sandbox: opt(word), socketPath: opt(word), pciID: opt(word) })
  .map(defined);
export const ipConfig = fc.record({ interface: opt(fc.integer({ min: -1, max: 4 })), address: cidr, gateway: opt(ip) }).map(defined);
export const route = fc
  .record({
    dst: cidr,
    gw: opt(ip),
    mtu: opt(positive),
    advmss: opt(positive),
    priority: opt(positive),
    table: opt(fc.nat(255)),
    scope: opt(fc.constantFrom(0, 253, 254)),
  })
  .map(defined);
const nonEmptyWords = fc.array(word, { minLength: 1, maxLength: 3 });
export const dns = fc
  .record({ nameservers: opt(fc.array(ip, { minLength: 1, maxLength: 3 })), domain: opt(word), search: opt(nonEmptyWords), options: opt(nonEmptyWords) })
  .map(defined)
  .filter((d) => Object.keys(d).length > 0);

function nonEmptyList<T>(arb: fc.Arbitrary<T>) {
  return opt(fc.array(arb, { minLength: 1, maxLength: 4 }));
}

/** A valid 1.1.0 result. */
export const result110: fc.Arbitrary<Result> = fc
  .record({
    cniVersion: fc.constant("1.1.0"),
    interfaces: nonEmptyList(iface),
    ips: nonEmptyList(ipConfig),
    routes: nonEmptyList(route),
    dns: opt(dns),
  })
  .map((r) => defined(r) as unknown as Result);

/** A valid 0.2.0 result whose per-family routes have a destination of that family. */
export const result020: fc.Arbitrary<Result020> = fc
  .record({
    cniVersion: fc.constant("0.2.0"),
    ip4: opt(fc.record({ ip: cidr4, gateway: opt(ipv4), routes: opt(fc.array(fc.record({ dst: cidr4, gw: opt(ip) }).map(defined), { minLength: 1, maxLength: 3 })) }).map(defined)),
    ip6: opt(fc.record({ ip: cidr6, gateway: opt(ipv6), routes: opt(fc.array(fc.record({ dst: cidr6, gw: opt(ip) }).map(defined), { minLength: 1, maxLength: 3 })) }).map(defined)),
    dns: opt(dns),
  })
  .map((r) => defined(r) as unknown as Result020);

/**
 * A valid 1.0.0 result using only the fields the Go library on this machine
 * (libcni 1.1.2, spec up to 1.0.0) knows: no interface mtu/socketPath/pciID,
 * no route extras.
 */
export const result100ForGo: fc.Arbitrary<Result> = fc
  .record({
    cniVersion: fc.constant("1.0.0"),
    interfaces: nonEmptyList(fc.record({ name: word, mac: opt(word), sandbox: opt(word) }).map(defined)),
    ips: nonEmptyList(ipConfig),
    routes: nonEmptyList(fc.record({ dst: cidr, gw: opt(ip) }).map(defined)),
    dns: opt(dns),
  })
  .map((r) => defined(r) as unknown as Result);
