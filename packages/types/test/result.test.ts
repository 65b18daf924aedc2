import { describe, expect, it } from "vitest";
import { convertResult, parseResult, toCurrent } from "@tscni/types";
import { resultForVersion } from "@tscni/types/internal";
import { resultSchemaFor, resultShapeOf } from "@tscni/types/schemas";
import type { AnyResult, Result } from "@tscni/types";
import { LEGACY, V04, V1, VERSIONS, richAs, richResult } from "./fixtures.js";
import { cniError } from "../../../test/support/cni-error.js";

describe.each(VERSIONS)("a %s result", (version) => {
  it("parses in its own shape and comes back unchanged", () => {
    expect(parseResult(richAs(version))).toEqual(richAs(version));
  });

  it("parses from JSON text and from bytes", () => {
    const text = JSON.stringify(richAs(version));
    expect(parseResult(text)).toEqual(richAs(version));
    expect(parseResult(Buffer.from(text))).toEqual(richAs(version));
  });

  it.each(VERSIONS)("converts to %s as the notes' matrix says", (to) => {
    expect(convertResult(richAs(version), to)).toEqual(expectedConversion(version, to));
  });

  it("converts to the current model with toCurrent", () => {
    expect(toCurrent(richAs(version))).toEqual(expectedConversion(version, "1.1.0"));
  });

  it("is printed by resultForVersion from the 1.1.0 model", () => {
    expect(resultForVersion(richResult(), version)).toEqual(richAs(version));
  });

  it("takes the default version when cniVersion is missing or empty", () => {
    const { cniVersion: _drop, ...bare } = richAs(version) as unknown as Record<string, unknown>;
    expect(parseResult(bare, { defaultVersion: version })).toEqual(richAs(version));
    expect(parseResult({ ...bare, cniVersion: "" }, { defaultVersion: version })).toEqual(richAs(version));
  });

  it("omits empty sections, empty strings and zero MTUs", () => {
    const sparse = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mac: "", mtu: 0, sandbox: "", socketPath: "", pciID: "" }],
      ips: [{ address: "169.254.3.3/16", gateway: "" }],
      routes: [{ dst: "169.254.0.0/16", gw: "", mtu: 0, advmss: 0, priority: 0 }],
      dns: { nameservers: [], domain: "", search: [], options: [] },
    } as Result;
    const out = resultForVersion(sparse, version);
    expect(JSON.stringify(out)).not.toMatch(/""|\[\]|"dns"|"mtu"|"gateway"|"gw"/);
    const empty = resultForVersion({ cniVersion: "1.1.0", interfaces: [], routes: [], dns: {} } as Result, version === "0.1.0" || version === "0.2.0" ? "1.1.0" : version);
    expect(Object.keys(empty)).toEqual(["cniVersion"]);
  });

  it("rejects an address that is not a CIDR, naming the field and the value", () => {
    const bad = structuredClone(richAs(version)) as any;
    if (resultShapeOf(version) === "0.2.0") bad.ip4.ip = "169.254.1.5";
    else bad.ips[0].address = "169.254.1.5";
    const e = cniError(() => parseResult(bad));
    expect(e.code).toBe(6);
    expect(e.msg).toBe(`invalid CNI ${version} result`);
    expect(e.details).toMatch(resultShapeOf(version) === "0.2.0" ? /^ip4\.ip: expected an IPv4 CIDR/ : /^ips\[0\]\.address: expected an IPv4 CIDR/);
    expect(e.details).toContain('got "169.254.1.5"');
  });

  it("rejects a gateway that is not an IP and a route without a CIDR dst", () => {
    const e = cniError(() => parseResult({ cniVersion: version, ...(resultShapeOf(version) === "0.2.0" ? { ip4: { ip: "169.254.1.1/16", gateway: "nope", routes: [{ dst: 3 }] } } : { ips: [{ address: "169.254.1.1/16", gateway: "nope" }], routes: [{ dst: 3 }] }) }));
    expect(e.code).toBe(6);
    expect(e.details).toMatch(/gateway: expected an IPv4 address or an IPv6 address or "", got "nope"/);
    expect(e.details).toMatch(/routes\[0\]\.dst: expected .*got number 3/);
  });

  it("has a schema that accepts its own shape only", () => {
    expect(resultSchemaFor(version).safeParse(richAs(version)).success).toBe(true);
    for (const other of VERSIONS.filter((v) => resultShapeOf(v) !== resultShapeOf(version))) {
      expect(resultSchemaFor(version).safeParse({ ...richAs(other) }).success).toBe(false);
    }
  });

  it("refuses to convert to an unknown version with code 1", () => {
    const e = cniError(() => convertResult(richAs(version), "2.0.0"));
    expect(e.code).toBe(1);
    expect(e.msg).toBe('cannot convert result to CNI version "2.0.0"');
  });
});

/** What converting the rich result from one version to another must give, from the rules of docs/spec-notes.md §5.1. */
function expectedConversion(from: string, to: string): unknown {
  const target = richAs(to);
  if ((LEGACY as readonly string[]).includes(to)) return target;
  if ((LEGACY as readonly string[]).includes(from)) {
    // Up from 0.2.0: the two addresses (v4 first), their routes in order, no interfaces.
    const legacy = richAs(from) as unknown as { ip4: any; ip6: any; dns: unknown };
    const ips = [
      { address: legacy.ip4.ip, gateway: legacy.ip4.gateway },
      { address: legacy.ip6.ip, gateway: legacy.ip6.gateway },
    ];
    return {
      cniVersion: to,
      ips: (V04 as readonly string[]).includes(to) ? ips.map((ip, i) => ({ version: i === 0 ? "4" : "6", ...ip })) : ips,
      routes: [...legacy.ip4.routes, ...legacy.ip6.routes],
      dns: legacy.dns,
    };
  }
  if ((V04 as readonly string[]).includes(from) && (V1 as readonly string[]).includes(to)) {
    // Up from 0.4.0 the interface extras are gone for good.
    const r = richAs(to) as any;
    return { ...r, interfaces: (richAs(from) as any).interfaces };
  }
  return target;
}

describe("conversion down to 0.1.0/0.2.0", () => {
  it.each(LEGACY)("keeps the first IPv4 and first IPv6 address and their routes by dst family (%s)", (to) => {
    const out = convertResult(
      {
        cniVersion: "1.1.0",
        ips: [
          { address: "fd00::9/64" },
          { address: "169.254.9.9/16", gateway: "169.254.0.1" },
          { address: "169.254.8.8/16" },
        ],
        routes: [
          { dst: "fd01::/64", gw: "169.254.0.1", priority: 4 },
          { dst: "169.254.20.0/24", gw: "fd00::1" },
        ],
      },
      to,
    );
    expect(out).toEqual({
      cniVersion: to,
      ip4: { ip: "169.254.9.9/16", gateway: "169.254.0.1", routes: [{ dst: "169.254.20.0/24", gw: "fd00::1" }] },
      ip6: { ip: "fd00::9/64", routes: [{ dst: "fd01::/64", gw: "169.254.0.1" }] },
    });
  });

  it.each(LEGACY)("drops routes of a family with no address (%s)", (to) => {
    expect(convertResult({ cniVersion: "0.4.0", ips: [{ version: "4", address: "169.254.1.1/16" }], routes: [{ dst: "::/0" }] }, to)).toEqual({
      cniVersion: to,
      ip4: { ip: "169.254.1.1/16" },
    });
  });

  it.each(VERSIONS.filter((v) => !(LEGACY as readonly string[]).includes(v)).flatMap((from) => LEGACY.map((to) => [from, to])))(
    "fails with code 1 naming the target version when a %s result has no IP (to %s)",
    (from, to) => {
      const e = cniError(() => convertResult({ cniVersion: from!, interfaces: [{ name: "eth0" }], routes: [{ dst: "0.0.0.0/0" }] }, to!));
      expect(e.code).toBe(1);
      expect(e.msg).toBe(`cannot convert result to CNI version ${to}`);
      expect(e.details).toContain("no IP address");
    },
  );
});

describe("parseResult", () => {
  it("reads a result without cniVersion as 0.1.0, as Go does", () => {
    expect(parseResult({ ip4: { ip: "169.254.1.1/16" } })).toEqual({ cniVersion: "0.1.0", ip4: { ip: "169.254.1.1/16" } });
  });

  it.each([
    [{ ips: [{ address: "169.254.1.1/16" }] }, undefined, "ips: a 0.1.0 result carries ip4/ip6, not ips; the result reads as 0.1.0 (is its cniVersion missing or wrong?)"],
    [{ cniVersion: "0.2.0", routes: [{ dst: "0.0.0.0/0" }], ip4: { ip: "169.254.1.1/16" } }, undefined, "routes: a 0.2.0 result carries ip4/ip6, not routes;"],
    [{ ip4: { ip: "169.254.1.1/16" } }, "1.0.0", "ip4: a 1.0.0 result carries interfaces/ips/routes, not ip4;"],
    [{ cniVersion: "0.4.0", ip6: { ip: "fd00::1/64" } }, undefined, "ip6: a 0.4.0 result carries interfaces/ips/routes, not ip6;"],
  ])("refuses keys of another shape instead of dropping the addresses (%j, default %s)", (input, defaultVersion, details) => {
    const e = cniError(() => parseResult(input, defaultVersion ? { defaultVersion } : {}));
    expect(e.code).toBe(6);
    expect(e.details).toContain(details);
  });

  it("fills a 0.3.x/0.4.0 IP's missing or empty version from its address", () => {
    expect(parseResult({ cniVersion: "0.3.1", ips: [{ address: "fd00::1/64" }, { version: "", address: "169.254.1.1/16" }] })).toEqual({
      cniVersion: "0.3.1",
      ips: [
        { version: "6", address: "fd00::1/64" },
        { version: "4", address: "169.254.1.1/16" },
      ],
    });
  });

  it("rejects a 0.3.x/0.4.0 IP whose version contradicts its address", () => {
    const e = cniError(() => parseResult({ cniVersion: "0.4.0", ips: [{ version: "4", address: "fd00::1/64" }] }));
    expect(e.code).toBe(6);
    expect(e.details).toBe('ips[0].version: "4" does not match the address family of "fd00::1/64"');
  });

  it("ignores a version key on 1.x IPs and unknown keys anywhere, as Go does", () => {
    expect(parseResult({ cniVersion: "1.0.0", extra: 1, ips: [{ version: "4", address: "169.254.1.1/16", x: 2 }] })).toEqual({
      cniVersion: "1.0.0",
      ips: [{ address: "169.254.1.1/16" }],
    });
  });

  it("accepts JSON nulls for the optional lists (Go prints null for nil slices in some tools)", () => {
    expect(parseResult({ cniVersion: "1.1.0", interfaces: null, ips: null, routes: null, dns: null })).toEqual({ cniVersion: "1.1.0" });
    expect(parseResult({ cniVersion: "0.2.0", ip4: null, ip6: { ip: "fd00::1/64", routes: null } })).toEqual({
      cniVersion: "0.2.0",
      ip6: { ip: "fd00::1/64" },
    });
  });

  it("keeps negative interface indexes and an explicit route table/scope 0 (spec-upgrades guidance, Go)", () => {
    const r = parseResult({ cniVersion: "1.1.0", ips: [{ interface: -1, address: "169.254.1.1/16" }], routes: [{ dst: "0.0.0.0/0", table: 0, scope: 0 }] });
    expect(r).toEqual({ cniVersion: "1.1.0", ips: [{ interface: -1, address: "169.254.1.1/16" }], routes: [{ dst: "0.0.0.0/0", table: 0, scope: 0 }] });
  });

  it.each([
    ["not JSON", "{", 'decoding CNI result; invalid JSON:'],
    ["an array", [], "a CNI result must be a JSON object; got an array"],
    ["null", null, "a CNI result must be a JSON object; got null"],
    ["a number", 5, "a CNI result must be a JSON object; got number"],
    ["an unknown version", { cniVersion: "9.9.9" }, 'unsupported CNI result version "9.9.9"; known versions are 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0'],
    ["a numeric version", { cniVersion: 1 }, "invalid CNI result; cniVersion: expected string, got 1"],
    ["a negative mtu", { cniVersion: "1.1.0", interfaces: [{ name: "a", mtu: -1 }] }, "invalid CNI 1.1.0 result; interfaces[0].mtu: expected >= 0, got number -1"],
    ["a fractional route priority", { cniVersion: "1.1.0", routes: [{ dst: "0.0.0.0/0", priority: 1.5 }] }, "routes[0].priority: expected an integer, got number 1.5"],
    ["an interface without name", { cniVersion: "0.4.0", interfaces: [{ mac: "x" }] }, "interfaces[0].name: expected string, missing"],
    ["a bad ip version", { cniVersion: "0.3.0", ips: [{ version: 4, address: "169.254.1.1/16" }] }, 'ips[0].version: expected "4" or "6" or "", got number 4'],
  ])("rejects %s with code 6", (_name, input, message) => {
    const e = cniError(() => parseResult(input));
    expect(e.code).toBe(6);
    expect(e.message).toContain(message);
  });
});

describe("resultForVersion", () => {
  it("treats its input as the 1.1.0 model whatever cniVersion it carries", () => {
    const model = { ...richResult(), cniVersion: "0.3.1" };
    expect(resultForVersion(model, "0.3.1")).toEqual(richAs("0.3.1"));
  });

  it("turns a handler's invalid result into code 999 naming the field and value", () => {
    const e = cniError(() => resultForVersion({ cniVersion: "1.1.0", ips: [{ address: "169.254.1.1" }] }, "1.0.0"));
    expect(e.code).toBe(999);
    expect(e.msg).toBe("plugin returned an invalid result");
    expect(e.details).toMatch(/^ips\[0\]\.address: expected an IPv4 CIDR.* got "169.254.1.1"$/);
  });

  it("refuses a 0.2.0-shaped result instead of printing it empty", () => {
    const e = cniError(() => resultForVersion({ cniVersion: "0.2.0", ip4: { ip: "169.254.1.1/16" } } as unknown as Result, "0.2.0"));
    expect(e.code).toBe(999);
    expect(e.details).toContain("toCurrent()");
  });

  it("refuses a handler result that is not an object with code 999", () => {
    expect(cniError(() => resultForVersion(undefined as unknown as Result, "1.1.0")).code).toBe(999);
  });

  it("passes an impossible conversion on as code 1", () => {
    expect(cniError(() => resultForVersion({ cniVersion: "1.1.0" }, "0.2.0")).code).toBe(1);
  });
});
