import { describe, expect, it } from "vitest";
import { formatIp, formatRange, parseRange, parseRangeSets, rangeSetSize } from "@tscni/ipam";
import { cniError } from "../../../test/support/cni-error.js";

describe("parseRange", () => {
  it("fills in Go's defaults: gateway and start after the network address, end before broadcast", () => {
    const r = parseRange({ subnet: "169.254.10.0/24" }, "ipam.ranges[0][0]");
    expect(formatRange(r)).toBe("169.254.10.1-169.254.10.254");
    expect(formatIp(r.gateway)).toBe("169.254.10.1");
  });

  it("ends an IPv6 range at the subnet's last address (there is no broadcast)", () => {
    const r = parseRange({ subnet: "fd00:10::/120" }, "p");
    expect(formatRange(r)).toBe("fd00:10::1-fd00:10::ff");
  });

  it("keeps explicit values", () => {
    const r = parseRange(
      { subnet: "169.254.10.0/24", rangeStart: "169.254.10.100", rangeEnd: "169.254.10.200", gateway: "169.254.10.254" },
      "p",
    );
    expect(formatRange(r)).toBe("169.254.10.100-169.254.10.200");
    expect(formatIp(r.gateway)).toBe("169.254.10.254");
  });

  it.each([
    [{ subnet: "169.254.10.0" }, "p.subnet", "not a CIDR subnet"],
    [{ subnet: "169.254.10.1/24" }, "p.subnet", "host bits set; the network address for /24 is 169.254.10.0"],
    [{ subnet: "169.254.10.0/31" }, "p.subnet", "too small"],
    [{ subnet: "fd00::/127" }, "p.subnet", "too small"],
    [{ subnet: "169.254.10.0/24", rangeStart: "169.254.11.5" }, "p.rangeStart", "169.254.11.5 is not in subnet 169.254.10.0/24"],
    [{ subnet: "169.254.10.0/24", rangeStart: "169.254.10.0" }, "p.rangeStart", "network address"],
    [{ subnet: "169.254.10.0/24", rangeEnd: "169.254.10.255" }, "p.rangeEnd", "broadcast address"],
    [{ subnet: "169.254.10.0/24", rangeEnd: "169.254.10.x" }, "p.rangeEnd", "not an IP address"],
    [{ subnet: "169.254.10.0/24", gateway: "169.254.12.1" }, "p.gateway", "169.254.12.1 is not in subnet"],
    [{ subnet: "169.254.10.0/24", gateway: "169.254.10.255" }, "p.gateway", "broadcast address"],
    [{ subnet: "fd00::/64", gateway: "fd00::" }, "p.gateway", "network address"],
    [{ subnet: "169.254.10.0/24", rangeStart: "169.254.10.9", rangeEnd: "169.254.10.8" }, "p.rangeEnd", "before rangeStart"],
    [{ subnet: "169.254.10.0/24", rangeStart: "169.254.10.1", rangeEnd: "169.254.10.1" }, "p", "only the gateway"],
  ])("%j: code 7 naming %s", (input, field, text) => {
    const e = cniError(() => parseRange(input, "p"));
    expect(e.code).toBe(7);
    expect(e.msg.startsWith(`${field}: `)).toBe(true);
    expect(e.msg).toContain(text);
  });
});

describe("parseRangeSets", () => {
  it("accepts disjoint ranges, also in one subnet", () => {
    const sets = parseRangeSets(
      [
        [
          { subnet: "169.254.10.0/24", rangeStart: "169.254.10.10", rangeEnd: "169.254.10.20" },
          { subnet: "169.254.10.0/24", rangeStart: "169.254.10.30", rangeEnd: "169.254.10.40" },
        ],
        [{ subnet: "fd00:10::/120" }],
      ],
      "ipam.ranges",
    );
    expect(sets.map((s) => s.length)).toEqual([2, 1]);
  });

  it.each([
    [[], "ipam.ranges", "at least one range set"],
    [[[]], "ipam.ranges[0]", "at least one range"],
    [[[{ subnet: "169.254.10.0/24" }, { subnet: "fd00::/64" }]], "ipam.ranges[0][1].subnet", "mixes IPv4 and IPv6"],
    [[[{ subnet: "169.254.10.0/24" }, { subnet: "169.254.10.128/25" }]], "ipam.ranges[0][1]", "overlaps ipam.ranges[0][0]"],
    [[[{ subnet: "169.254.10.0/24" }], [{ subnet: "169.254.0.0/16" }]], "ipam.ranges[1][0]", "overlaps ipam.ranges[0][0]"],
    [[[{ subnet: "169.254.10.0/24" }], [{ subnet: "169.254.10.0/24", rangeStart: "169.254.10.200" }]], "ipam.ranges[1][0]", "169.254.10.200-169.254.10.254"],
  ])("%j: code 7 naming %s", (input, field, text) => {
    const e = cniError(() => parseRangeSets(input, "ipam.ranges"));
    expect(e.code).toBe(7);
    expect(e.msg.startsWith(`${field}: `) || e.msg.startsWith(`${field}[`)).toBe(true);
    expect(e.msg).toContain(text);
  });

  it("counts what a set can hand out: gateways are never handed out", () => {
    const [set] = parseRangeSets([[{ subnet: "169.254.10.0/29" }]], "r");
    expect(set && rangeSetSize(set)).toBe(5n); // .1-.6 minus the gateway .1
    const [outside] = parseRangeSets([[{ subnet: "169.254.10.0/29", rangeStart: "169.254.10.4", gateway: "169.254.10.1" }]], "r");
    expect(outside && rangeSetSize(outside)).toBe(3n);
  });
});
