/**
 * The hand-written validators against the zod schemas they stand in for: on
 * random documents, mostly well-formed with some junk in any field, both must
 * accept the same documents, produce the same NetConf (key order included),
 * and report the same issues in the same words.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatIssues, resultModelIssues, validateNetConf } from "@tscni/types/internal";
import { netConfSchema, resultSchemaFor } from "@tscni/types/schemas";
import { cidr, ip, ipv4, ipv6 } from "./arbitraries.js";

const RUNS = 1500;

/** Any JSON value, and the values a JavaScript handler may put in its result. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, -1.5, 2 ** 53, -(2 ** 60), 0.5, "", "x", null, [], {}),
);
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(sometimes(arb), { nil: undefined, freq: 3 });

/** Address-like strings: valid ones, near misses (leading zeros, bad prefixes, zones, spaces) and noise. */
const addressLike = fc.oneof(
  cidr,
  ip,
  fc.tuple(fc.oneof(ipv4, ipv6), fc.integer({ min: -1, max: 140 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.oneof(ipv4, ipv6), fc.constantFrom("/08", "/", "/1/2", "%eth0/64", " ", "\n", "/32x", "/+8")).map(([a, s]) => a + s),
  fc.constantFrom("01.2.3.4/8", "::ffff:1.2.3.4/96", "::/0", "FD00::1/64", "1::2::3/64", "::@1\\/64", "1.2.3.4 /8", "256.1.1.1/8", ""),
  fc.string({ maxLength: 12 }),
);

const strings = fc.array(sometimes(fc.string({ maxLength: 6 })), { maxLength: 3 });
const dns = fc.record(
  { nameservers: optional(strings), domain: optional(fc.string({ maxLength: 6 })), search: optional(strings), options: optional(strings), extra: junk },
  { requiredKeys: [] },
);
const attachments = fc.array(sometimes(fc.record({ containerID: sometimes(fc.string({ maxLength: 6 })), ifname: sometimes(fc.string({ maxLength: 6 })), z: junk }, { requiredKeys: [] })), { maxLength: 3 });

const netConf = fc.record(
  {
    cniVersion: sometimes(fc.constantFrom("1.1.0", "0.4.0", "")),
    name: sometimes(fc.string({ maxLength: 6 })),
    type: sometimes(fc.string({ maxLength: 6 })),
    capabilities: sometimes(fc.dictionary(fc.string({ maxLength: 5 }), sometimes(fc.boolean()), { maxKeys: 3 })),
    ipam: sometimes(fc.record({ type: sometimes(fc.string({ maxLength: 6 })), subnet: junk }, { requiredKeys: [] })),
    dns: sometimes(dns),
    args: sometimes(fc.dictionary(fc.string({ maxLength: 5 }), junk, { maxKeys: 3 })),
    runtimeConfig: sometimes(fc.dictionary(fc.string({ maxLength: 5 }), junk, { maxKeys: 3 })),
    prevResult: sometimes(fc.dictionary(fc.string({ maxLength: 5 }), junk, { maxKeys: 3 })),
    "cni.dev/valid-attachments": sometimes(fc.option(attachments)),
    "cni.dev/attachments": sometimes(fc.option(attachments)),
    bridge: junk,
    mtu: junk,
  },
  { requiredKeys: [] },
);

const uint = sometimes(fc.nat(70000));
const route = fc.record(
  { dst: sometimes(addressLike), gw: optional(fc.oneof(addressLike, fc.constant(""))), mtu: optional(uint), advmss: optional(uint), priority: optional(uint), table: optional(uint), scope: optional(uint), x: junk },
  { requiredKeys: [] },
);
const ipConfig = fc.record(
  { interface: optional(fc.integer({ min: -2, max: 4 })), address: sometimes(addressLike), gateway: optional(fc.oneof(addressLike, fc.constant(""))) },
  { requiredKeys: [] },
);
const iface = fc.record(
  { name: sometimes(fc.string({ maxLength: 6 })), mac: optional(fc.string({ maxLength: 6 })), mtu: optional(uint), sandbox: optional(fc.string({ maxLength: 6 })), socketPath: optional(fc.string({ maxLength: 4 })), pciID: optional(fc.string({ maxLength: 4 })) },
  { requiredKeys: [] },
);
const list = <T>(arb: fc.Arbitrary<T>) => fc.option(sometimes(fc.array(sometimes(arb), { maxLength: 3 })), { nil: undefined, freq: 4 });
const result = fc.record(
  { interfaces: list(iface), ips: list(ipConfig), routes: list(route), dns: fc.option(sometimes(dns), { nil: undefined, freq: 3 }) },
  { requiredKeys: [] },
);

describe("validateNetConf", () => {
  it("accepts, outputs and reports exactly what netConfSchema() does", () => {
    fc.assert(
      fc.property(netConf, (conf) => {
        const zod = netConfSchema().safeParse(conf, { reportInput: true });
        const ours = validateNetConf(conf);
        expect(ours.issues === undefined).toBe(zod.success);
        if (zod.success) {
          expect(JSON.stringify(ours.value)).toBe(JSON.stringify(zod.data));
          expect(ours.value).toEqual(zod.data);
        } else {
          expect(formatIssues(ours.issues ?? [], conf)).toBe(formatIssues(zod.error.issues, conf));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it.each([[[]], [null], ["text"], [7]])("refuses %j as the whole config, as zod does", (value) => {
    const zod = netConfSchema().safeParse(value, { reportInput: true });
    expect(formatIssues(validateNetConf(value).issues ?? [], value)).toBe(formatIssues(zod.error?.issues ?? [], value));
  });

  it("never lets a __proto__ key replace the config's prototype", () => {
    const conf = JSON.parse('{"name":"n","type":"t","__proto__":{"polluted":true},"args":{"__proto__":{"polluted":true}}}');
    const out = validateNetConf(conf).value!;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.args)).toBe(Object.prototype);
    expect((out as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("resultModelIssues", () => {
  it("reports exactly what resultSchemaFor('1.1.0') does", () => {
    fc.assert(
      fc.property(result, (r) => {
        const zod = resultSchemaFor("1.1.0").safeParse({ ...r, cniVersion: "1.1.0" }, { reportInput: true });
        const ours = resultModelIssues(r);
        expect(ours.length === 0).toBe(zod.success);
        if (!zod.success) expect(formatIssues(ours, r)).toBe(formatIssues(zod.error.issues, r));
      }),
      { numRuns: RUNS },
    );
  });

  it("names the field and the value of a result that cannot be printed", () => {
    expect(formatIssues(resultModelIssues({ ips: [{ address: "169.254.1.1" }], routes: [{ dst: "0.0.0.0/0", mtu: Number.NaN }] }))).toBe(
      'ips[0].address: expected an IPv4 CIDR like 169.254.1.5/16 or an IPv6 CIDR like fd00::5/64, got "169.254.1.1"; routes[0].mtu: expected number, got number null',
    );
  });
});

describe("validateNetConf on objects a JSON parser never makes", () => {
  it("keeps a key that is present with undefined, as zod does", () => {
    const conf = { name: "n", type: "t", dns: undefined, args: undefined };
    const ours = validateNetConf(conf).value!;
    expect(Object.keys(ours)).toEqual(Object.keys(netConfSchema().parse(conf)));
    expect(ours).toEqual({ cniVersion: "0.1.0", name: "n", type: "t", dns: undefined, args: undefined });
  });
});
