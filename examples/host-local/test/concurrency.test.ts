/**
 * host-local under load, as a node sees it: many runtimes' plugin processes
 * at once, and two networks over one subnet. Every check reads both the
 * results and the store on disk. (A plugin process killed while it holds the
 * lock: killed.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { allocateAndRelease, doubleAllocations } from "./load.js";
import { GO, OURS, addressesOf, claims, network, reservations, run, tempDataDirs } from "./support.js";

const dataDir = tempDataDirs();

// A /28: 13 addresses besides the gateway for 16 workers, so the range runs full and ADDs contend.
const SMALL = { ranges: [[{ subnet: "169.254.40.0/28" }]] };

describe.skipIf(skipReason({ executables: [OURS] }))("host-local under load", () => {
  it("16 processes allocating and releasing in one range never hold one address twice", { timeout: 120_000 }, async () => {
    const dir = dataDir("load");
    const config = network({ name: "loadnet", dataDir: dir, ipam: SMALL });
    const reports = await Promise.all(
      Array.from({ length: 16 }, (_, worker) => allocateAndRelease({ worker, rounds: 8, config })),
    );
    const holdings = reports.flatMap((r) => r.holdings);
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    expect(holdings.length).toBeGreaterThan(60);
    expect(doubleAllocations(holdings)).toEqual([]);
    expect(holdings.every((h) => h.ip !== "169.254.40.1" && h.ip !== "169.254.40.15")).toBe(true);
    expect(reservations(dir, "loadnet")).toEqual({});
    expect(claims(dir)).toEqual([]);
  });

  it("two networks sharing a subnet never hand out one address twice (Go's plugin does)", { timeout: 120_000 }, async () => {
    const dir = dataDir("shared");
    const a = network({ name: "neta", dataDir: dir, ipam: SMALL });
    const b = network({ name: "netb", dataDir: dir, ipam: SMALL });
    const reports = await Promise.all(
      Array.from({ length: 16 }, (_, worker) => allocateAndRelease({ worker, rounds: 6, config: worker % 2 ? a : b })),
    );
    const holdings = reports.flatMap((r) => r.holdings);
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    expect(new Set(holdings.map((h) => h.network))).toEqual(new Set(["neta", "netb"]));
    expect(doubleAllocations(holdings)).toEqual([]);
    expect(reservations(dir, "neta")).toEqual({});
    expect(reservations(dir, "netb")).toEqual({});
    expect(claims(dir)).toEqual([]);
  });
});

describe.skipIf(skipReason({ executables: [OURS, GO] }))("two networks sharing a subnet, one after the other", () => {
  it("Go's plugin gives both the same address; ours does not", async () => {
    const goDir = dataDir("gobug");
    const go = await Promise.all(
      ["neta", "netb"].map(async (name) => addressesOf((await run({ binary: GO, command: "ADD", config: network({ cniVersion: "1.0.0", name, dataDir: goDir, ipam: SMALL }), containerId: name })).json)),
    );
    expect(go[0]).toEqual(go[1]);
    const ourDir = dataDir("oursfix");
    const ours = [];
    for (const name of ["neta", "netb"]) {
      ours.push(addressesOf((await run({ command: "ADD", config: network({ name, dataDir: ourDir, ipam: SMALL }), containerId: name })).json));
    }
    expect(ours[0]).not.toEqual(ours[1]);
    // scope "network" restores Go's behaviour for networks that mean to reuse addresses.
    const isolated = dataDir("isolated");
    const iso = [];
    for (const name of ["neta", "netb"]) {
      const config = network({ name, dataDir: isolated, ipam: { ...SMALL, reservationScope: "network" } });
      iso.push(addressesOf((await run({ command: "ADD", config, containerId: name })).json));
    }
    expect(iso[0]).toEqual(iso[1]);
  });
});
