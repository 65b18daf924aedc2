import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLAIMS_DIR, DiskStore, allocate, formatIp, parseRangeSets } from "@tscni/ipam";

const [rangeSet] = parseRangeSets([[{ subnet: "169.254.90.0/29" }]], "r") as [NonNullable<ReturnType<typeof parseRangeSets>[number]>];
const NETWORKS = ["neta", "netb", "netc"] as const;

type Op =
  | { kind: "add"; net: number; id: number }
  | { kind: "del"; net: number; id: number }
  | { kind: "crash-after-claim"; net: number; id: number }
  | { kind: "gc"; net: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), net: fc.nat(2), id: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), net: fc.nat(2), id: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash-after-claim" as const), net: fc.nat(2), id: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("gc" as const), net: fc.nat(2) }) },
);

/** address -> networks whose directory holds it */
function holders(dataDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const net of NETWORKS) {
    const dir = join(dataDir, net);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (f === "lock" || f.startsWith("last_reserved_ip")) continue;
      out.set(f, [...(out.get(f) ?? []), net]);
    }
  }
  return out;
}

describe("DiskStore across networks sharing a subnet (property)", () => {
  it("no address is ever in two networks' directories, whatever the order of ADD, DEL, GC and crashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dataDir = mkdtempSync(join(tmpdir(), "tscni-ipam-prop-"));
        try {
          const stores = NETWORKS.map((network) => new DiskStore({ dataDir, network }));
          const live = new Map<string, string>(); // "net/id" -> address handed out
          for (const o of ops) {
            const store = stores[o.net] as DiskStore;
            const key = `${NETWORKS[o.net]}/c${"id" in o ? o.id : ""}`;
            const owner = { containerId: `c${"id" in o ? o.id : 0}`, ifName: "eth0" };
            if (o.kind === "add") {
              try {
                const a = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner }));
                live.set(key, formatIp(a.address));
              } catch (e) {
                expect((e as { code?: number }).code).toBe(11);
              }
            } else if (o.kind === "del") {
              await store.withLock((s) => s.releaseByOwner(owner));
              live.delete(key);
            } else if (o.kind === "crash-after-claim") {
              // What a process killed between its claim and its file leaves: a claim, no file.
              const a = await store.withLock((s) => {
                try {
                  return allocate({ store: s, rangeSet, rangeSetIndex: 0, owner });
                } catch {
                  return undefined;
                }
              });
              if (a && !live.has(key)) {
                unlinkSync(join(dataDir, NETWORKS[o.net] as string, formatIp(a.address)));
              } else if (a) {
                live.set(key, formatIp(a.address));
              }
            } else {
              const valid = [...live.keys()].filter((k) => k.startsWith(`${NETWORKS[o.net]}/`)).map((k) => ({ containerId: k.split("/")[1] as string, ifName: "eth0" }));
              await store.withLock((s) => s.gc(valid));
            }
            for (const [ip, nets] of holders(dataDir)) expect(nets, ip).toHaveLength(1);
            const handed = [...live.values()];
            expect(new Set(handed).size).toBe(handed.length);
          }
          // Finally everything is released and no claim is left behind.
          for (const store of stores) await store.withLock((s) => s.gc([]));
          expect(holders(dataDir).size).toBe(0);
          expect(readdirSync(join(dataDir, CLAIMS_DIR))).toEqual([]);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  it("an empty file left by a killed writer is taken over by the next ADD", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tscni-ipam-prop-"));
    try {
      const store = new DiskStore({ dataDir, network: "neta" });
      store.ensureDirectories();
      writeFileSync(join(dataDir, "neta", "169.254.90.2"), "");
      const a = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: { containerId: "c", ifName: "eth0" } }));
      expect(formatIp(a.address)).toBe("169.254.90.2");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
