import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, formatPrefix, parseIp, parsePrefix } from "@tscni/ipam";
import { lastAddress, networkAddress, nextIp, prefixContains, previousIp } from "@tscni/ipam/ip";

/** Node's WHATWG URL serialiser prints IPv6 in RFC 5952 form, as Go does: an independent oracle. */
function canonicalV6(s: string): string {
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

describe("parseIp / formatIp", () => {
  it.each([
    ["169.254.0.1", 4, "169.254.0.1"],
    ["0.0.0.0", 4, "0.0.0.0"],
    ["255.255.255.255", 4, "255.255.255.255"],
    ["fd00::1", 6, "fd00::1"],
    ["FD00:0:0:0:0:0:0:1", 6, "fd00::1"],
    ["::", 6, "::"],
    ["::1", 6, "::1"],
    ["fd00:0:0:1:0:0:0:1", 6, "fd00:0:0:1::1"],
    ["fd00:1:0:0:1:0:0:1", 6, "fd00:1::1:0:0:1"],
    ["fd00:1:0:1:0:1:0:1", 6, "fd00:1:0:1:0:1:0:1"],
    ["::169.254.0.1", 6, "::a9fe:1"],
  ] as const)("%s is IPv%i, printed %s", (text, family, printed) => {
    const ip = parseIp(text);
    expect(ip?.family).toBe(family);
    expect(ip && formatIp(ip)).toBe(printed);
  });

  it.each([
    "010.0.0.1",
    "10.1",
    "256.0.0.1",
    "1.2.3.4.5",
    " 1.2.3.4",
    "",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8",
    "1::2::3",
    ":1::",
    "fd00::1%eth0",
    "fd00::12345",
    "1.2.3.4::",
    "::1.2.3",
  ])("rejects %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it("agrees with node:net on what is an address, and with URL on the IPv6 text form", () => {
    const v6 = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(v6, (groups) => {
        const full = groups.map((g) => g.toString(16)).join(":");
        const ip = parseIp(full);
        expect(ip?.family).toBe(6);
        const printed = formatIp(ip as NonNullable<typeof ip>);
        expect(printed).toBe(canonicalV6(full));
        expect(formatIp(parseIp(printed) as NonNullable<typeof ip>)).toBe(printed);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        // node:net accepts zone IDs and we do not; everything else must agree on validity.
        if (s.includes("%")) return;
        expect(parseIp(s) !== undefined).toBe(isIP(s) !== 0);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIp(parseIp(s) as NonNullable<ReturnType<typeof parseIp>>)).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const ip = parseIp(s);
        expect(ip).toBeDefined();
        expect(formatIp(ip as NonNullable<typeof ip>)).toBe(canonicalV6(s));
      }),
    );
  });
});

describe("prefixes", () => {
  it("keeps host bits and finds the network and last address", () => {
    const p = parsePrefix("169.254.10.77/24");
    expect(p && formatPrefix(p)).toBe("169.254.10.77/24");
    expect(p && formatIp(networkAddress(p))).toBe("169.254.10.0");
    expect(p && formatIp(lastAddress(p))).toBe("169.254.10.255");
    const q = parsePrefix("fd00:1::5/64");
    expect(q && formatIp(networkAddress(q))).toBe("fd00:1::");
    expect(q && formatIp(lastAddress(q))).toBe("fd00:1::ffff:ffff:ffff:ffff");
  });

  it.each(["169.254.0.0/33", "fd00::/129", "169.254.0.0", "169.254.0.0/", "169.254.0.0/024", "x/8"])("rejects %j", (s) => {
    expect(parsePrefix(s)).toBeUndefined();
  });

  it("contains exactly the addresses between network and last, of its family", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (a, len, b) => {
        const p = parsePrefix(`${a}/${len}`) as NonNullable<ReturnType<typeof parsePrefix>>;
        const ip = parseIp(b) as NonNullable<ReturnType<typeof parseIp>>;
        const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
        const same = ((Number(p.address.value) & mask) >>> 0) === ((Number(ip.value) & mask) >>> 0);
        expect(prefixContains(p, ip)).toBe(same);
      }),
    );
    const v4 = parsePrefix("169.254.0.0/16");
    const v6 = parseIp("::a9fe:1");
    expect(v4 && v6 && prefixContains(v4, v6)).toBe(false);
  });

  it("steps to the next and previous address, stopping at the ends of the space", () => {
    const ip = parseIp("169.254.0.255") as NonNullable<ReturnType<typeof parseIp>>;
    expect(formatIp(nextIp(ip) as typeof ip)).toBe("169.254.1.0");
    expect(formatIp(previousIp(ip) as typeof ip)).toBe("169.254.0.254");
    expect(nextIp(parseIp("255.255.255.255") as typeof ip)).toBeUndefined();
    expect(previousIp(parseIp("::") as typeof ip)).toBeUndefined();
    expect(formatIp(nextIp(parseIp("fd00::ffff") as typeof ip) as typeof ip)).toBe("fd00::1:0");
  });
});
