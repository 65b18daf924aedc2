import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { canonicalCidr, canonicalIp, canonicalNetwork, contains, firstHost } from "@tscni/netns";
import { containerProblems } from "@tscni/netns/internal";
import { UndoStack } from "@tscni/skel";
import type { ContainerView } from "@tscni/netns/internal";

describe("address canonicalisation", () => {
  test.each([
    ["fd00:0::1", "fd00::1"],
    ["FD00:0000:0000:0000:0000:0000:0000:0001", "fd00::1"],
    ["::", "::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["::ffff:169.254.1.1", "::ffff:a9fe:101"],
    ["169.254.01.1", undefined],
  ])("%s -> %s", (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  test("networks drop host bits; CIDRs keep them", () => {
    expect(canonicalNetwork("169.254.1.7/24")).toBe("169.254.1.0/24");
    expect(canonicalNetwork("0.0.0.0/0")).toBe("0.0.0.0/0");
    expect(canonicalNetwork("fd00:1:2:3::9/48")).toBe("fd00:1:2::/48");
    expect(canonicalNetwork("fd00::/129")).toBeUndefined();
    expect(canonicalCidr("fd00:0::2/64")).toBe("fd00::2/64");
  });

  test("first host and containment", () => {
    expect(firstHost("169.254.60.17/24")).toBe("169.254.60.1");
    expect(firstHost("fd00:60::17/64")).toBe("fd00:60::1");
    expect(contains("169.254.60.0/24", "169.254.60.200")).toBe(true);
    expect(contains("169.254.60.0/24", "169.254.61.1")).toBe(false);
    expect(contains("fd00:60::/64", "169.254.60.1")).toBe(false);
  });

  test("IPv6 text matches the WHATWG URL serialiser (RFC 5952) for any address", () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16).padStart(4, "0")).join(":");
        expect(canonicalIp(full)).toBe(new URL(`http://[${full}]/`).hostname.slice(1, -1));
      }),
    );
  });
});

describe("UndoStack", () => {
  test("unwinds newest first, keeps going past a failing step, reports it", async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const undo = new UndoStack((what) => errors.push(what));
    undo.push("a", () => order.push("a"));
    undo.push("b", () => {
      throw new Error("boom");
    });
    undo.push("c", async () => order.push("c"));
    expect(await undo.unwind()).toEqual(["b"]);
    expect(order).toEqual(["c", "a"]);
    expect(errors).toEqual(["b"]);
    expect(await undo.unwind()).toEqual([]);
  });

  test("a disarmed stack does nothing, also through await using", async () => {
    const order: string[] = [];
    {
      await using undo = new UndoStack();
      undo.push("a", () => order.push("a"));
      undo.disarm();
    }
    {
      await using undo = new UndoStack();
      undo.push("b", () => order.push("b"));
    }
    expect(order).toEqual(["b"]);
  });
});

describe("containerProblems", () => {
  const view: ContainerView = {
    links: [
      {
        index: 2,
        name: "eth0",
        up: true,
        operState: "UP",
        mtu: 1500,
        mac: "aa:bb:cc:dd:ee:ff",
        promisc: false,
        flags: ["UP"],
        addresses: [{ family: 6, address: "fd00::2", prefixLength: 64, cidr: "fd00::2/64", scope: "global", tentative: false, dadFailed: false }],
      },
    ],
    routes: [{ family: 4, dst: "0.0.0.0/0", gw: "169.254.1.1", dev: "eth0", table: 254, scope: 0, type: "unicast" }],
  };
  const result = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "veth1" }, { name: "eth0", mac: "AA:BB:CC:DD:EE:FF", sandbox: "/run/netns/x" }],
    ips: [{ interface: 1, address: "fd00:0::2/64" }],
    routes: [{ dst: "0.0.0.0/0", gw: "169.254.1.1" }],
  };

  test("a matching container has no problems (case and spelling of values do not matter)", () => {
    expect(containerProblems(view, result, { ifName: "eth0", sandbox: "/run/netns/x" })).toEqual([]);
  });

  test("every difference is named", () => {
    const wrong = { ...result, ips: [...result.ips, { interface: 1, address: "169.254.1.2/24" }], routes: [{ dst: "169.254.9.0/24", gw: "169.254.1.1" }] };
    expect(containerProblems(view, wrong, { ifName: "eth0", sandbox: "/run/netns/x" })).toEqual([
      "address 169.254.1.2/24 is missing from eth0",
      "route to 169.254.9.0/24 via 169.254.1.1 is missing from table 254",
    ]);
    expect(containerProblems(view, result, { ifName: "eth1", sandbox: "/run/netns/x" })).toEqual(["prevResult lists no interface eth1 with sandbox /run/netns/x"]);
  });
});
