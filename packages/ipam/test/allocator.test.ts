import { CniError } from "@tscni/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, formatIp, parseIp, parseRangeSets, rangeSetSize } from "@tscni/ipam";
import { candidates } from "@tscni/ipam/internal";
import { MemoryStore } from "./memory-store.js";
import { cniError } from "../../../test/support/cni-error.js";

const owner = (n: number, ifName = "eth0") => ({ containerId: `c${n}`, ifName });
const ip = (s: string) => parseIp(s) as NonNullable<ReturnType<typeof parseIp>>;

function setOf(...ranges: Parameters<typeof parseRangeSets>[0][number]) {
  return (parseRangeSets([ranges], "ipam.ranges")[0] ?? []) as NonNullable<ReturnType<typeof parseRangeSets>[number]>;
}

describe("candidates", () => {
  it("starts after the last reserved address, walks the ranges in order and wraps around once", () => {
    const set = setOf(
      { subnet: "169.254.10.0/24", rangeStart: "169.254.10.10", rangeEnd: "169.254.10.12" },
      { subnet: "169.254.11.0/24", rangeStart: "169.254.11.20", rangeEnd: "169.254.11.21" },
    );
    const seq = (last?: string) => [...candidates(set, last ? ip(last) : undefined)].map((c) => formatIp(c.ip));
    expect(seq()).toEqual(["169.254.10.10", "169.254.10.11", "169.254.10.12", "169.254.11.20", "169.254.11.21"]);
    expect(seq("169.254.10.11")).toEqual(["169.254.10.12", "169.254.11.20", "169.254.11.21", "169.254.10.10", "169.254.10.11"]);
    expect(seq("169.254.11.21")).toEqual(["169.254.10.10", "169.254.10.11", "169.254.10.12", "169.254.11.20", "169.254.11.21"]);
    expect(seq("169.254.99.1")).toEqual(seq());
  });
});

describe("allocate", () => {
  it("hands out addresses in Go's order, skipping the gateway, and returns the range's gateway", () => {
    const store = new MemoryStore();
    const rangeSet = setOf({ subnet: "169.254.10.0/29" });
    const got = [1, 2, 3].map((n) => allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(n) }));
    expect(got.map((a) => formatIp(a.address))).toEqual(["169.254.10.2", "169.254.10.3", "169.254.10.4"]);
    expect(got.map((a) => formatIp(a.range.gateway))).toEqual(["169.254.10.1", "169.254.10.1", "169.254.10.1"]);
  });

  it("gives a retried ADD its existing address instead of a second one", () => {
    const store = new MemoryStore();
    const rangeSet = setOf({ subnet: "169.254.10.0/29" });
    const first = allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(1) });
    const again = allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(1) });
    expect(formatIp(again.address)).toBe(formatIp(first.address));
    expect(store.held.size).toBe(1);
    const otherIf = allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(1, "net1") });
    expect(formatIp(otherIf.address)).not.toBe(formatIp(first.address));
  });

  it("fails with code 11 naming the range set when every address is taken", () => {
    const store = new MemoryStore();
    const rangeSet = setOf({ subnet: "169.254.10.0/29" });
    for (let n = 0; n < 5; n++) allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(n) });
    const error = cniError(() => allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(99) }));
    expect(error.code).toBe(11);
    expect(error.msg).toBe("no free address in range set 0 (169.254.10.1-169.254.10.6)");
  });

  it("reserves a requested address, and refuses one outside the set, the gateway, or one held by another", () => {
    const store = new MemoryStore();
    const rangeSet = setOf({ subnet: "169.254.10.0/24" });
    const got = allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(1), requested: ip("169.254.10.77") });
    expect(formatIp(got.address)).toBe("169.254.10.77");
    const fail = (requested: string, n = 2) =>
      cniError(() => allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(n), requested: ip(requested), requestedFrom: "runtimeConfig.ips" }));
    expect(fail("169.254.11.1")).toMatchObject({ code: 7, msg: "runtimeConfig.ips: 169.254.11.1 is not in range set 0 (169.254.10.1-169.254.10.254)" });
    expect(fail("169.254.10.1")).toMatchObject({ code: 7 });
    expect(fail("169.254.10.1").msg).toContain("is the gateway");
    expect(fail("169.254.10.77")).toMatchObject({ code: 11, msg: "runtimeConfig.ips: 169.254.10.77 is held by another container" });
    expect(fail("169.254.10.78", 1).msg).toContain("already holds 169.254.10.77");
  });

  it("never hands out an address twice and fills the whole set before failing (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: 29 }),
        fc.array(fc.oneof(fc.constant("add"), fc.nat(40)), { maxLength: 120 }),
        (len, ops) => {
          const store = new MemoryStore();
          const rangeSet = setOf({ subnet: `169.254.64.0/${len}` });
          const size = Number(rangeSetSize(rangeSet));
          let next = 0;
          for (const op of ops) {
            if (op === "add") {
              const n = next++;
              if (store.held.size === size) {
                expect(() => allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(n) })).toThrow(CniError);
                continue;
              }
              const a = allocate({ store, rangeSet, rangeSetIndex: 0, owner: owner(n) });
              expect(formatIp(a.address)).not.toBe("169.254.64.1");
            } else {
              const victim = [...store.held.values()][op % Math.max(store.held.size, 1)];
              if (victim) store.release(victim.ip);
            }
            const owners = [...store.held.values()].map((h) => h.owner.containerId);
            expect(new Set(owners).size).toBe(owners.length);
          }
        },
      ),
    );
  });
});
