import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DiskStore, allocate, formatIp, parseIp, parseRangeSets } from "@tscni/ipam";
import { CLAIMS_DIR } from "@tscni/ipam/internal";

const [rangeSet] = parseRangeSets([[{ subnet: "169.254.90.0/29" }]], "r") as [NonNullable<ReturnType<typeof parseRangeSets>[number]>];
const NETWORKS = ["neta", "netb", "netc"] as const;

type Op =
  | { kind: "add"; net: number; id: number; ask: string | null }
  | { kind: "del"; net: number; id: number }
  | { kind: "crash-after-claim"; net: number; id: number }
  | { kind: "gc"; net: number }
  | { kind: "plant"; where: number; at: string; what: Plant };

/** What someone with write access to the data directory leaves under a name the store uses. */
const PLANTS = ["dangling link", "link to a file", "link to an empty file", "link to a directory", "directory", "fifo"] as const;
type Plant = (typeof PLANTS)[number];
/** Under an address name, a temporary name a writer could guess, or last_reserved_ip.0. */
const PLANT_NAMES = ["169.254.90.2", "169.254.90.3", "169.254.90.5", "169.254.90.6", `.tmp-${process.pid}-1`, "last_reserved_ip.0"];

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      net: fc.nat(2),
      id: fc.nat(7),
      // Half the ADDs ask for an address (IP=), which skips the allocator's hint and goes straight to the store.
      ask: fc.option(fc.constantFrom("169.254.90.2", "169.254.90.3", "169.254.90.5", "169.254.90.6")),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), net: fc.nat(2), id: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash-after-claim" as const), net: fc.nat(2), id: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("gc" as const), net: fc.nat(2) }) },
  // where: a network's directory (0-2) or the claims directory (3).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("plant" as const), where: fc.nat(3), at: fc.constantFrom(...PLANT_NAMES), what: fc.constantFrom(...PLANTS) }) },
);
/** Plants, then ADDs that mostly ask for the addresses the plants are under, mixed with the other operations. */
const askingAdd: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant("add" as const),
  net: fc.nat(2),
  id: fc.nat(7),
  ask: fc.constantFrom("169.254.90.2", "169.254.90.3", "169.254.90.5", "169.254.90.6"),
});
const plantFirst: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(op.filter((o) => o.kind === "plant"), { minLength: 1, maxLength: 8 }),
    fc.array(fc.oneof({ weight: 3, arbitrary: askingAdd }, { weight: 2, arbitrary: op }), { minLength: 4, maxLength: 20 }),
  )
  .map(([plants, rest]) => [...plants, ...rest]);

interface Victims {
  file: string;
  empty: string;
  dir: string;
  missing: string;
}

function makeVictims(root: string): Victims {
  const v = { file: join(root, "precious"), empty: join(root, "empty"), dir: join(root, "dir"), missing: join(root, "not-there") };
  writeFileSync(v.file, "precious\n");
  writeFileSync(v.empty, "");
  mkdirSync(v.dir);
  return v;
}

/** Plants `what` at `path` unless something is there already; the path planted, or undefined. */
function plant(path: string, what: Plant, v: Victims): string | undefined {
  mkdirSync(join(path, ".."), { recursive: true });
  if (existsSync(path) || isLink(path)) return undefined;
  const target = { "dangling link": v.missing, "link to a file": v.file, "link to an empty file": v.empty, "link to a directory": v.dir }[what as string];
  if (target) symlinkSync(target, path);
  else if (what === "directory") mkdirSync(path);
  else execFileSync("mkfifo", [path]);
  return path;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function isRegular(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** address -> networks whose directory holds it */
function holders(dataDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const net of NETWORKS) {
    const dir = join(dataDir, net);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (f === "lock" || f.startsWith("last_reserved_ip") || f.startsWith(".") || !isRegular(join(dir, f))) continue;
      out.set(f, [...(out.get(f) ?? []), net]);
    }
  }
  return out;
}

describe("DiskStore across networks sharing a subnet (property)", () => {
  it.each([
    ["any order", fc.array(op, { minLength: 1, maxLength: 25 })],
    ["plants first", plantFirst],
  ])("no address is ever in two networks' directories, whatever the ADD, DEL, GC, crashes and plants (%s)", async (_name, ops) => {
    await fc.assert(
      fc.asyncProperty(ops, async (ops) => {
        const root = mkdtempSync(join(tmpdir(), "tscni-ipam-prop-"));
        const dataDir = join(root, "data");
        const victims = makeVictims(root);
        try {
          const stores = NETWORKS.map((network) => new DiskStore({ dataDir, network }));
          const live = new Map<string, string>(); // "net/id" -> address handed out
          const planted = new Map<string, string>(); // path -> address name it blocks
          for (const o of ops) {
            if (o.kind === "plant") {
              const path = plant(join(dataDir, NETWORKS[o.where] ?? CLAIMS_DIR, o.at), o.what, victims);
              if (path) planted.set(path, o.at);
              continue;
            }
            const store = stores[o.net] as DiskStore;
            const key = `${NETWORKS[o.net]}/c${"id" in o ? o.id : ""}`;
            const owner = { containerId: `c${"id" in o ? o.id : 0}`, ifName: "eth0" };
            if (o.kind === "add") {
              try {
                const requested = o.ask === null ? undefined : parseIp(o.ask);
                const a = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner, requested }));
                // An address planted anywhere in the data directory is never handed out.
                if (!a.reused) expect([...planted.values()]).not.toContain(formatIp(a.address));
                live.set(key, formatIp(a.address));
              } catch (e) {
                // 11: exhausted, or held; 7: this owner already holds another address of the set.
                expect([7, 11]).toContain((e as { code?: number }).code);
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
            // Nothing was written or removed through a plant, and no plant was removed.
            expect(readFileSync(victims.file, "utf8")).toBe("precious\n");
            expect(readFileSync(victims.empty, "utf8")).toBe("");
            expect(readdirSync(victims.dir)).toEqual([]);
            expect(existsSync(victims.missing)).toBe(false);
            for (const path of planted.keys()) expect(isRegular(path) || !(existsSync(path) || isLink(path)), path).toBe(false);
          }
          // Finally everything is released and no claim is left behind: only the plants remain.
          for (const store of stores) await store.withLock((s) => s.gc([]));
          expect(holders(dataDir).size).toBe(0);
          expect(readdirSync(join(dataDir, CLAIMS_DIR)).filter((n) => isRegular(join(dataDir, CLAIMS_DIR, n)))).toEqual([]);
        } finally {
          rmSync(root, { recursive: true, force: true });
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
