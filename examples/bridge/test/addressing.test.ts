import { describe, expect, test } from "vitest";
import type { Address } from "@tscni/netns";
import { conflictingBridgeAddresses, planAddressing } from "../src/addressing.js";
import { normalise } from "../src/config.js";

const settings = (extra: object = {}) => normalise({ ipam: { type: "host-local" }, ...extra });
const addr = (cidr: string, scope = "global"): Address => {
  const [address = "", prefix = "0"] = cidr.split("/");
  return { family: address.includes(":") ? 6 : 4, address, prefixLength: Number(prefix), cidr, scope, tentative: false, dadFailed: false };
};

describe("normalise", () => {
  test("defaults, and isDefaultGateway implies isGateway", () => {
    expect(normalise({})).toEqual({ bridge: "cni0", isGateway: false, isDefaultGateway: false, forceAddress: false, hairpin: false, promisc: false, ipMasq: false, dad: false });
    expect(normalise({ isDefaultGateway: true })).toMatchObject({ isGateway: true, isDefaultGateway: true });
    expect(normalise({ enabledad: true })).toMatchObject({ dad: true });
    expect(normalise({ enabledad: true, hairpinMode: true })).toMatchObject({ dad: false, hairpin: true });
  });
});

describe("planAddressing", () => {
  test("the bridge takes IPAM's gateway with the subnet's prefix; no gateway role, no bridge address", () => {
    const ipam = { ips: [{ address: "169.254.62.5/24", gateway: "169.254.62.1" }] };
    expect(planAddressing(settings({ isGateway: true }), ipam).bridgeAddresses).toEqual(["169.254.62.1/24"]);
    expect(planAddressing(settings(), ipam).bridgeAddresses).toEqual([]);
  });

  test("a missing gateway becomes the subnet's first address when the bridge is the gateway", () => {
    const plan = planAddressing(settings({ isGateway: true }), { ips: [{ address: "fd00:62::9/64" }] });
    expect(plan.ips).toEqual([{ address: "fd00:62::9/64", gateway: "fd00:62::1" }]);
    expect(plan.bridgeAddresses).toEqual(["fd00:62::1/64"]);
  });

  test("isDefaultGateway adds one default route per family, unless IPAM already routes that default", () => {
    const ipam = {
      ips: [{ address: "169.254.62.5/24", gateway: "169.254.62.1" }, { address: "fd00:62::5/64", gateway: "fd00:62::1" }],
      routes: [{ dst: "::/0", gw: "fd00:62::fe" }],
    };
    expect(planAddressing(settings({ isDefaultGateway: true }), ipam).routes).toEqual([
      { dst: "::/0", gw: "fd00:62::fe" },
      { dst: "0.0.0.0/0", gw: "169.254.62.1" },
    ]);
  });
});

describe("conflictingBridgeAddresses", () => {
  const wanted = ["169.254.62.1/24", "fd00:62::1/64"];
  test("the same address, link-local ones and IPv6 in other subnets are no conflict", () => {
    const held = [addr("169.254.62.1/24"), addr("fe80::1/64", "link"), addr("fd00:99::1/64")];
    expect(conflictingBridgeAddresses(settings(), held, wanted)).toEqual([]);
  });

  test("any other IPv4 address, or an overlapping IPv6 one, is an error naming it, or replaced with forceAddress", () => {
    const held = [addr("169.254.70.1/24"), addr("fd00:62::7/64")];
    expect(() => conflictingBridgeAddresses(settings(), held, wanted)).toThrow("bridge cni0 already has address 169.254.70.1/24, different from gateway 169.254.62.1/24, fd00:62::1/64");
    expect(conflictingBridgeAddresses(settings({ forceAddress: true }), held, wanted).map((a) => a.cidr)).toEqual(["169.254.70.1/24", "fd00:62::7/64"]);
  });
});
