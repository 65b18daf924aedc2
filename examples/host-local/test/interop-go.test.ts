/**
 * Go's host-local (Debian 1.1.1, spec <= 1.0.0) and ours on one data
 * directory: the same files, the same lock, so each sees the other's
 * reservations, releases them, checks them, and neither hands out an address
 * the other holds, also when both run at once.
 */
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { allocateAndRelease, doubleAllocations } from "./load.js";
import { GO, OURS, addressesOf, claims, network, reservations, run, tempDataDirs } from "./support.js";

const dataDir = tempDataDirs();

const RANGES = { ranges: [[{ subnet: "169.254.50.0/24" }], [{ subnet: "fd00:50::/120" }]] };

describe.skipIf(skipReason({ executables: [OURS, GO] }))("Go's host-local and ours on one data directory", () => {
  it("interleaved: each continues where the other stopped and sees the other's reservations", async () => {
    const dir = dataDir("interleave");
    const config = network({ cniVersion: "1.0.0", name: "mixnet", dataDir: dir, ipam: RANGES });
    const handed: Record<string, string[]> = {};
    for (let i = 0; i < 8; i++) {
      const binary = i % 2 ? GO : OURS;
      const r = await run({ binary, command: "ADD", config, containerId: `c${i}` });
      expect(r.exitCode, r.stdout).toBe(0);
      handed[`c${i}`] = addressesOf(r.json);
    }
    const v4 = Object.values(handed).map((ips) => ips[0]);
    expect(v4).toEqual(["2", "3", "4", "5", "6", "7", "8", "9"].map((n) => `169.254.50.${n}`));
    const files = reservations(dir, "mixnet");
    for (const [id, ips] of Object.entries(handed)) for (const ip of ips) expect(files[ip]).toBe(`${id}\r\neth0`);

    // Each one's CHECK accepts the other's reservation; each one's DEL releases the other's.
    for (let i = 0; i < 8; i++) {
      const other = i % 2 ? OURS : GO;
      const prevResult = { cniVersion: "1.0.0", ips: handed[`c${i}`]?.map((ip) => ({ address: `${ip}/${ip.includes(":") ? 120 : 24}` })) };
      const check = await run({ binary: other, command: "CHECK", config: { ...config, prevResult }, containerId: `c${i}` });
      expect(check.exitCode, `${other} CHECK c${i}: ${check.stdout}`).toBe(0);
    }
    // A requested address the other holds is refused by both.
    const goAsks = await run({ binary: GO, command: "ADD", config, containerId: "x1", args: "IP=169.254.50.2" });
    expect(goAsks.exitCode).toBe(1);
    const weAsk = await run({ command: "ADD", config, containerId: "x2", args: "IP=169.254.50.3" });
    expect(weAsk.json).toMatchObject({ code: 11 });
    for (let i = 0; i < 8; i++) {
      const other = i % 2 ? OURS : GO;
      expect((await run({ binary: other, command: "DEL", config, containerId: `c${i}` })).exitCode).toBe(0);
    }
    expect(reservations(dir, "mixnet")).toEqual({});
    // Go removed our files without knowing our claims; the next ADD of ours in this network takes them back.
    const again = await run({ command: "ADD", config, containerId: "after" });
    expect(addressesOf(again.json)[0]).toBe("169.254.50.10");
    await run({ command: "DEL", config, containerId: "after" });
    await run({ command: "GC", config: { ...config, cniVersion: "1.1.0", "cni.dev/valid-attachments": [] } });
    expect(claims(dir)).toEqual([]);
  });

  it("at once: 8 Go and 8 of ours allocating and releasing in one small range never hold one address twice", { timeout: 120_000 }, async () => {
    const dir = dataDir("mixload");
    const config = network({ cniVersion: "1.0.0", name: "mixnet", dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.51.0/28" }]] } });
    const reports = await Promise.all(
      Array.from({ length: 16 }, (_, worker) => allocateAndRelease({ worker, rounds: 6, config, binary: worker % 2 ? GO : OURS })),
    );
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    const holdings = reports.flatMap((r) => r.holdings);
    expect(holdings.length).toBeGreaterThan(40);
    expect(doubleAllocations(holdings)).toEqual([]);
    expect(reservations(dir, "mixnet")).toEqual({});
  });

  it("ours in another network over the same subnet steps around what Go handed out", async () => {
    const dir = dataDir("cross");
    const goNet = network({ cniVersion: "1.0.0", name: "gonet", dataDir: dir, ipam: RANGES });
    const ourNet = network({ cniVersion: "1.0.0", name: "ournet", dataDir: dir, ipam: RANGES });
    const go = await run({ binary: GO, command: "ADD", config: goNet, containerId: "g" });
    const ours = await run({ command: "ADD", config: ourNet, containerId: "o" });
    expect(addressesOf(go.json)).toEqual(["169.254.50.2", "fd00:50::2"]);
    expect(addressesOf(ours.json)).toEqual(["169.254.50.3", "fd00:50::3"]);
  });
});
