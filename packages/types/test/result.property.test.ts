import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CniError, convertResult, parseResult, toCurrent } from "@tscni/types";
import { ipFamily, resultForVersion } from "@tscni/types/internal";
import type { AnyResult, Result, Result020, Result040 } from "@tscni/types";
import { LEGACY, V04, V1, VERSIONS } from "./fixtures.js";
import { result020, result110 } from "./arbitraries.js";

const RUNS = { numRuns: 300 };

function withoutInterfaceExtras(r: Result): Result {
  if (!r.interfaces) return r;
  return {
    ...r,
    interfaces: r.interfaces.map(({ mtu: _m, socketPath: _s, pciID: _p, ...rest }) => rest),
  };
}

function hasIp(r: Result): boolean {
  return (r.ips ?? []).length > 0;
}

describe("random valid 1.1.0 results", () => {
  it.each(VERSIONS)("convert to %s into something parseResult validates unchanged", (v) => {
    fc.assert(
      fc.property(result110, (r) => {
        if ((LEGACY as readonly string[]).includes(v) && !hasIp(r)) {
          expect(() => convertResult(r, v)).toThrow(CniError);
          return;
        }
        const out = convertResult(r, v);
        expect(out.cniVersion).toBe(v);
        expect(parseResult(JSON.parse(JSON.stringify(out)))).toEqual(out);
      }),
      RUNS,
    );
  });

  it("print unchanged as 1.1.0 and survive 1.0.0 and back without loss", () => {
    fc.assert(
      fc.property(result110, (r) => {
        expect(resultForVersion(r, "1.1.0")).toEqual(r);
        expect(toCurrent(convertResult(r, "1.0.0"))).toEqual(r);
      }),
      RUNS,
    );
  });

  it.each(V04)("survive %s and back losing only the 1.1.0 interface fields", (v) => {
    fc.assert(
      fc.property(result110, (r) => {
        expect(toCurrent(convertResult(r, v))).toEqual(withoutInterfaceExtras(r));
      }),
      RUNS,
    );
  });

  it.each(LEGACY)("keep the first IPv4 and the first IPv6 address and their families' routes in %s", (v) => {
    fc.assert(
      fc.property(result110, (r) => {
        fc.pre(hasIp(r));
        const out = convertResult(r, v) as Result020;
        const first = (family: "4" | "6") => r.ips!.find((ip) => ipFamily(ip.address) === family);
        for (const [key, family] of [["ip4", "4"], ["ip6", "6"]] as const) {
          const ip = first(family);
          if (!ip) {
            expect(out[key]).toBeUndefined();
            continue;
          }
          const routes = (r.routes ?? []).filter((rt) => ipFamily(rt.dst) === family).map((rt) => ({ dst: rt.dst, ...(rt.gw && { gw: rt.gw }) }));
          expect(out[key]).toEqual({ ip: ip.address, ...(ip.gateway && { gateway: ip.gateway }), ...(routes.length && { routes }) });
        }
        expect(out.dns).toEqual(r.dns);
      }),
      RUNS,
    );
  });

  it("carry a 0.4.0 result through every 0.3.x/0.4.0/1.x version and back unchanged", () => {
    fc.assert(
      fc.property(result110, fc.constantFrom(...V04, ...V1), (r, via) => {
        const r040 = convertResult(r, "0.4.0") as Result040;
        expect(convertResult(convertResult(r040, via), "0.4.0")).toEqual(r040);
      }),
      RUNS,
    );
  });
});

describe("random valid 0.2.0 results", () => {
  it("survive every version and back unchanged", () => {
    fc.assert(
      fc.property(result020, fc.constantFrom(...VERSIONS), (r, via) => {
        fc.pre(r.ip4 !== undefined || r.ip6 !== undefined);
        expect(convertResult(convertResult(r, via), "0.2.0")).toEqual(r);
      }),
      RUNS,
    );
  });
});

/** Valid results with one value somewhere replaced by anything at all. */
const mutated = fc
  .tuple(result110, fc.constantFrom(...VERSIONS), fc.anything(), fc.nat(), fc.nat())
  .map(([r, v, junk, pick, depth]) => {
    let doc: any;
    try {
      doc = JSON.parse(JSON.stringify(convertResult(r, v)));
    } catch {
      doc = JSON.parse(JSON.stringify(r));
    }
    // Walk down a random path and replace what is there.
    let node = doc;
    for (let d = 0; d <= depth % 4; d++) {
      const keys = node && typeof node === "object" ? Object.keys(node) : [];
      if (keys.length === 0) break;
      const key = keys[(pick + d) % keys.length]!;
      if (d === depth % 4 || node[key] === null || typeof node[key] !== "object") {
        node[key] = junk;
        break;
      }
      node = node[key];
    }
    return doc;
  });

function onlyCniErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    expect(typeof (e as CniError).code).toBe("number");
    expect((e as CniError).msg.length).toBeGreaterThan(0);
  }
}

describe("random garbage", () => {
  it("never makes parseResult, convertResult or resultForVersion throw anything but a CniError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), mutated, fc.string(), fc.json()), fc.constantFrom(...VERSIONS, "", "2.0", "1.0"), (junk, v) => {
        onlyCniErrors(() => parseResult(junk, { defaultVersion: v }));
        onlyCniErrors(() => convertResult(junk as AnyResult, v));
        onlyCniErrors(() => resultForVersion(junk as Result, v));
      }),
      { numRuns: 1000 },
    );
  });

  it("when parseResult accepts it, the result is stable under a second parse", () => {
    fc.assert(
      fc.property(mutated, (junk) => {
        let parsed: AnyResult;
        try {
          parsed = parseResult(junk);
        } catch {
          return;
        }
        expect(parseResult(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      }),
      { numRuns: 500 },
    );
  });
});
