import { describe, expect, it } from "vitest";
import { checkDns, checkRoutes, ipamConfigShapes } from "@tscni/ipam";

describe("ipamConfigShapes", () => {
  it("is built once and shared by every caller", () => {
    expect(ipamConfigShapes()).toBe(ipamConfigShapes());
  });

  it("takes Go's route fields and keeps unknown keys, so checkRoutes sees what the config wrote", () => {
    const { route } = ipamConfigShapes();
    const parsed = route.safeParse({ dst: "169.254.0.0/16", gw: "169.254.1.1", mtu: 1400, extra: true });
    expect(parsed).toMatchObject({ success: true, data: { dst: "169.254.0.0/16", gw: "169.254.1.1", mtu: 1400, extra: true } });
    if (parsed.success) expect(checkRoutes([parsed.data], "ipam.routes")).toEqual([{ dst: "169.254.0.0/16", gw: "169.254.1.1", mtu: 1400, extra: true }]);
  });

  it.each([
    [{}, ["dst"]],
    [{ dst: "169.254.0.0/16", mtu: 1.5 }, ["mtu"]],
    [{ dst: "169.254.0.0/16", gw: 1 }, ["gw"]],
  ])("refuses the route %j at %j", (input, path) => {
    const parsed = ipamConfigShapes().route.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(path);
  });

  it("takes a DNS block and refuses a nameserver that is not a string", () => {
    const { dns } = ipamConfigShapes();
    const parsed = dns.safeParse({ nameservers: ["169.254.0.53"], search: ["example.test"] });
    expect(parsed.success).toBe(true);
    if (parsed.success) expect(checkDns(parsed.data, "ipam.dns")).toEqual({ nameservers: ["169.254.0.53"], search: ["example.test"] });
    expect(dns.safeParse({ nameservers: [53] }).error?.issues[0]?.path).toEqual(["nameservers", 0]);
  });

  it("reads args.cni.ips and lets other args keys through", () => {
    const { args } = ipamConfigShapes();
    expect(args.safeParse({ cni: { ips: ["169.254.1.5/16"] }, other: 1 })).toMatchObject({ success: true, data: { cni: { ips: ["169.254.1.5/16"] }, other: 1 } });
    expect(args.safeParse({ cni: { ips: "169.254.1.5/16" } }).error?.issues[0]?.path).toEqual(["cni", "ips"]);
  });
});
