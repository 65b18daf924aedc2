/**
 * Random plants in the data directory, then random verbs of the built
 * host-local: every exec answers (no hang) with one document, DEL succeeds
 * unless the lock itself is planted, a planted address is never handed out,
 * nothing outside the data directory changes and no plant is removed.
 */
import { lstatSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { execPluginBinary } from "@tscni/netns/testkit";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS, PLANT_KINDS, addressesOf, expectVictimsUntouched, makeVictims, network, plant, tempDataDirs } from "./support.js";

const tempDir = tempDataDirs();

const ADDRESSES = ["169.254.60.2", "169.254.60.3", "169.254.60.4"];
const NAMES = [...ADDRESSES, "last_reserved_ip.0", "lock"];
const WHERE = ["hlnet", "other", ".tscni-claims"];

const plantArb = fc.record({ where: fc.constantFrom(...WHERE), name: fc.constantFrom(...NAMES), kind: fc.constantFrom(...PLANT_KINDS) });
const verbArb = fc.record({
  command: fc.constantFrom("ADD", "ADD", "DEL", "CHECK", "GC", "STATUS"),
  id: fc.constantFrom("c1", "c2"),
  ask: fc.option(fc.constantFrom(...ADDRESSES)),
});

describe.skipIf(skipReason({ executables: [OURS] }))("host-local with random plants in its data directory (property)", () => {
  it("answers every verb, never hands out a planted address, never changes anything outside", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plantArb, { minLength: 1, maxLength: 4 }), fc.array(verbArb, { minLength: 2, maxLength: 6 }), async (plants, verbs) => {
        const root = tempDir("prop");
        const victims = makeVictims(join(root, "outside"));
        const dataDir = join(root, "data");
        const planted: { path: string; name: string; where: string }[] = [];
        for (const p of plants) {
          const path = join(dataDir, p.where, p.name);
          if (planted.some((q) => q.path === path)) continue;
          plant(path, p.kind, victims);
          planted.push({ path, name: p.name, where: p.where });
        }
        const lockPlanted = planted.some((p) => p.name === "lock" && p.where === "hlnet");
        const blocked = new Set(planted.filter((p) => ADDRESSES.includes(p.name)).map((p) => p.name));
        const config = network({ dataDir, ipam: { ranges: [[{ subnet: "169.254.60.0/29" }]] } });
        const results = new Map<string, unknown>();
        for (const v of verbs) {
          const extra =
            v.command === "GC" ? { "cni.dev/valid-attachments": [] } : v.command === "CHECK" ? { prevResult: results.get(v.id) ?? { cniVersion: "1.1.0", ips: [] } } : {};
          const r = await execPluginBinary({
            binary: OURS,
            command: v.command,
            config: { ...config, ...extra },
            containerId: v.id,
            netns: "/var/run/netns/tscni-hl-unused",
            path: ["/usr/lib/cni"],
            args: v.ask === null ? "" : `IP=${v.ask}`,
            timeoutMs: 10_000,
          });
          const what = `${v.command} ${v.id} ${v.ask ?? ""}: ${r.stdout}${r.stderr}`;
          expect([0, 1], what).toContain(r.exitCode);
          expect(r.stdout, what).not.toContain("    at ");
          if (r.exitCode === 1) expect(r.json, what).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
          if (v.command === "DEL" && !lockPlanted) expect(r.exitCode, what).toBe(0);
          if (v.command === "ADD" && r.exitCode === 0) {
            for (const ip of addressesOf(r.json)) expect(blocked.has(ip), what).toBe(false);
            results.set(v.id, r.json);
          }
        }
        expectVictimsUntouched(victims);
        for (const p of planted) expect(lstatSync(p.path).isFile(), p.path).toBe(false);
      }),
      { numRuns: 12 },
    );
  });
});
