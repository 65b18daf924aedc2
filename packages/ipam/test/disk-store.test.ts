import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cniRejection } from "../../../test/support/cni-error.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore, allocate, formatIp, lockFile, parseIp, parseRangeSets } from "@tscni/ipam";
import { CLAIMS_DIR } from "@tscni/ipam/internal";

const ip = (s: string) => parseIp(s) as NonNullable<ReturnType<typeof parseIp>>;
const owner = (id: string, ifName = "eth0") => ({ containerId: id, ifName });
const [rangeSet] = parseRangeSets([[{ subnet: "169.254.20.0/29" }]], "ipam.ranges") as [NonNullable<ReturnType<typeof parseRangeSets>[number]>];

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "tscni-ipam-store-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const files = (dir: string) => readdirSync(dir).sort();

describe("DiskStore layout (Go's host-local)", () => {
  it("writes one file per address with '<id>\\r\\n<ifname>', last_reserved_ip.<set> and lock", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    const got = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(" c1 ") }));
    expect(formatIp(got.address)).toBe("169.254.20.2");
    const dir = join(dataDir, "net1");
    expect(files(dir)).toEqual(["169.254.20.2", "last_reserved_ip.0", "lock"]);
    expect(readFileSync(join(dir, "169.254.20.2"), "utf8")).toBe("c1\r\neth0");
    expect(readFileSync(join(dir, "last_reserved_ip.0"), "utf8")).toBe("169.254.20.2");
    expect(readFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.2"), "utf8")).toBe("net1\r\nc1\r\neth0");
  });

  it("names IPv6 files in Go's compressed form", async () => {
    const store = new DiskStore({ dataDir, network: "net6" });
    const [v6] = parseRangeSets([[{ subnet: "fd00:20::/120" }]], "r") as [typeof rangeSet];
    await store.withLock((s) => allocate({ store: s, rangeSet: v6, rangeSetIndex: 1, owner: owner("c1") }));
    expect(files(join(dataDir, "net6"))).toEqual(["fd00:20::2", "last_reserved_ip.1", "lock"]);
  });

  it("continues after last_reserved_ip, as Go does", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    mkdirSync(join(dataDir, "net1"));
    writeFileSync(join(dataDir, "net1", "last_reserved_ip.0"), "169.254.20.4");
    const got = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") }));
    expect(formatIp(got.address)).toBe("169.254.20.5");
  });

  it("releases by container and interface, and reads Go's old one-line format", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    const dir = join(dataDir, "net1");
    await store.withLock((s) => {
      allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") });
      allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1", "net1") });
    });
    writeFileSync(join(dir, "169.254.20.6"), "legacy");
    await store.withLock((s) => {
      expect(s.releaseByOwner(owner("c1")).map(formatIp)).toEqual(["169.254.20.2"]);
      expect(s.releaseByOwner(owner("c1")).map(formatIp)).toEqual([]);
      expect(s.findByOwner(owner("c1", "net1")).map(formatIp)).toEqual(["169.254.20.3"]);
      expect(s.releaseByOwner(owner("legacy", "eth7")).map(formatIp)).toEqual(["169.254.20.6"]);
    });
    expect(files(dir)).toEqual(["169.254.20.3", "last_reserved_ip.0", "lock"]);
    expect(files(join(dataDir, CLAIMS_DIR))).toEqual(["169.254.20.3"]);
  });
});

describe("two networks sharing a subnet", () => {
  it("never hand out the same address (claims across the data directory)", async () => {
    const a = new DiskStore({ dataDir, network: "alpha" });
    const b = new DiskStore({ dataDir, network: "beta" });
    const got: string[] = [];
    for (let n = 0; n < 5; n++) {
      const store = n % 2 ? b : a;
      const r = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(`c${n}`) }));
      got.push(formatIp(r.address));
    }
    expect(new Set(got).size).toBe(5);
    await expect(a.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c9") }))).rejects.toMatchObject({ code: 11 });
  });

  it("respect a file another network's directory holds without a claim (written by Go's plugin)", async () => {
    mkdirSync(join(dataDir, "gonet"));
    writeFileSync(join(dataDir, "gonet", "169.254.20.2"), "goc\r\neth0");
    const store = new DiskStore({ dataDir, network: "ours" });
    const r = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") }));
    expect(formatIp(r.address)).toBe("169.254.20.3");
  });

  it("may reuse addresses across networks with scope 'network' (Go's behaviour, opt-in)", async () => {
    const a = new DiskStore({ dataDir, network: "alpha", scope: "network" });
    const b = new DiskStore({ dataDir, network: "beta", scope: "network" });
    const ra = await a.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") }));
    const rb = await b.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c2") }));
    expect(formatIp(ra.address)).toBe(formatIp(rb.address));
    expect(existsSync(join(dataDir, CLAIMS_DIR))).toBe(false);
  });
});

describe("crash remnants", () => {
  it("takes over an empty reservation file and a claim without a file, both left by a killed ADD", async () => {
    const dir = join(dataDir, "net1");
    mkdirSync(dir);
    mkdirSync(join(dataDir, CLAIMS_DIR));
    writeFileSync(join(dir, "169.254.20.2"), "");
    writeFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.2"), "net1\r\ndead\r\neth0");
    writeFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.3"), "net1\r\ndead2\r\neth0");
    const store = new DiskStore({ dataDir, network: "net1" });
    const got = await store.withLock((s) => [1, 2].map((n) => formatIp(allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(`c${n}`) }).address)));
    expect(got).toEqual(["169.254.20.2", "169.254.20.3"]);
    expect(readFileSync(join(dir, "169.254.20.2"), "utf8")).toBe("c1\r\neth0");
    expect(readFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.3"), "utf8")).toBe("net1\r\nc2\r\neth0");
  });

  it("heldAddresses: every name of the data directory, minus this network's empty files and its claims without a file", async () => {
    const dir = join(dataDir, "net1");
    const claims = join(dataDir, CLAIMS_DIR);
    mkdirSync(dir);
    mkdirSync(claims);
    mkdirSync(join(dataDir, "net2"));
    writeFileSync(join(dir, "169.254.20.2"), "c1\r\neth0");
    writeFileSync(join(claims, "169.254.20.2"), "net1\r\nc1\r\neth0");
    writeFileSync(join(dir, "169.254.20.3"), ""); // empty: a killed writer's
    writeFileSync(join(claims, "169.254.20.3"), "net1\r\ndead\r\neth0");
    writeFileSync(join(claims, "169.254.20.4"), "net1\r\ndead\r\neth0"); // no file: a killed ADD's
    writeFileSync(join(claims, "169.254.20.5"), "net2\r\nc5\r\neth0"); // another network's claim, its file not there yet
    writeFileSync(join(dataDir, "net2", "169.254.20.6"), "c6\r\neth0"); // Go's plugin in net2: no claim
    writeFileSync(join(claims, "169.254.20.7"), "net1\r\ndead\r\neth0"); // ours without a file, but net2 has the address
    writeFileSync(join(dataDir, "net2", "169.254.20.7"), "c7\r\neth0");
    const store = new DiskStore({ dataDir, network: "net1" });
    const held = await store.withLock((s) => [...s.heldAddresses()].filter((n) => n.startsWith("169.")).sort());
    // .7 is left to reserve(), which refuses it for net2's file; the set is a hint, reserve() the judge.
    expect(held).toEqual(["169.254.20.2", "169.254.20.5", "169.254.20.6"]);
    const got = await store.withLock((s) => [1, 2].map((n) => formatIp(allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(`n${n}`) }).address)));
    expect(got).toEqual(["169.254.20.3", "169.254.20.4"]);
  });

  it("leaves another network's claim alone", async () => {
    mkdirSync(join(dataDir, CLAIMS_DIR), { recursive: true });
    writeFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.2"), "other\r\nx\r\neth0");
    const store = new DiskStore({ dataDir, network: "net1" });
    const r = await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") }));
    expect(formatIp(r.address)).toBe("169.254.20.3");
  });
});

describe("gc", () => {
  it("releases every reservation not in the valid attachments, empty files and orphan claims included", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    await store.withLock((s) => {
      for (const id of ["keep", "drop1", "drop2"]) allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(id) });
    });
    writeFileSync(join(dataDir, "net1", "169.254.20.6"), "");
    writeFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.5"), "net1\r\nghost\r\neth0");
    writeFileSync(join(dataDir, CLAIMS_DIR, "169.254.20.1"), "othernet\r\nghost\r\neth0");
    const result = await store.withLock((s) => s.gc([owner("keep"), owner("unrelated")]));
    expect(result.errors).toEqual([]);
    expect(result.released.map(formatIp).sort()).toEqual(["169.254.20.3", "169.254.20.4", "169.254.20.6"]);
    expect(files(join(dataDir, "net1"))).toEqual(["169.254.20.2", "last_reserved_ip.0", "lock"]);
    expect(files(join(dataDir, CLAIMS_DIR))).toEqual(["169.254.20.1", "169.254.20.2"]);
    const none = await store.withLock((s) => s.gc([]));
    expect(none.released.map(formatIp)).toEqual(["169.254.20.2"]);
  });
});

describe("temporary claim files", () => {
  it("are swept by DEL and GC once their writer is dead, and kept while it lives", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    store.ensureDirectories();
    const claimsDir = join(dataDir, CLAIMS_DIR);
    writeFileSync(join(claimsDir, ".tmp-999999999-1"), "net1\r\ndead\r\neth0");
    writeFileSync(join(claimsDir, `.tmp-${process.pid}-77`), "net1\r\nlive\r\neth0");
    await store.withLock((s) => s.releaseByOwner(owner("nobody")));
    expect(files(claimsDir)).toEqual([`.tmp-${process.pid}-77`]);
    writeFileSync(join(claimsDir, ".tmp-999999999-2"), "");
    await store.withLock((s) => s.gc([]));
    expect(files(claimsDir)).toEqual([`.tmp-${process.pid}-77`]);
  });

  it("have random names, and are swept from the network's directory too", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    store.ensureDirectories();
    const netDir = join(dataDir, "net1");
    writeFileSync(join(netDir, ".tmp-999999999-0123456789abcdef"), "dead\r\neth0");
    writeFileSync(join(netDir, `.tmp-${process.pid}-fedcba9876543210`), "live\r\neth0");
    await store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c1") }));
    await store.withLock((s) => s.releaseByOwner(owner("c1")));
    expect(files(netDir)).toEqual([`.tmp-${process.pid}-fedcba9876543210`, "last_reserved_ip.0", "lock"]);
    expect(files(join(dataDir, CLAIMS_DIR))).toEqual([]);
  });
});

describe("lockFile", () => {
  it("excludes a second holder until released, and times out with code 11", async () => {
    const path = join(dataDir, "lock");
    const first = await lockFile(path);
    const error = await cniRejection(lockFile(path, { timeoutMs: 200 }));
    expect(error).toMatchObject({ code: 11 });
    expect(error.msg).toContain(path);
    const waiting = lockFile(path, { timeoutMs: 10_000 });
    setTimeout(() => first.release(), 100);
    const second = await waiting;
    second.release();
  });

  it("fails with code 5 naming the file when it cannot be opened", async () => {
    const error = await cniRejection(lockFile(join(dataDir, "missing-dir", "lock")));
    expect(error).toMatchObject({ code: 5 });
    expect(error.msg).toContain("missing-dir");
  });

});

describe("withLock hands each call its own locked view", () => {
  it("a view used after its withLock returned (work not awaited) cannot act under a later call's lock", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    let leaked: { reserve(ip: unknown, owner: unknown, index: number): boolean } | undefined;
    await store.withLock((s) => {
      leaked = s;
    });
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const done = new Promise<void>((r) => (release = r));
    const second = store.withLock(async (s) => {
      const before = s.reservations().map((r) => formatIp(r.ip));
      entered();
      await done;
      return { before, after: s.reservations().map((r) => formatIp(r.ip)) };
    });
    await inside;
    expect(() => leaked?.reserve(ip("169.254.20.5"), owner("late"), 0)).toThrow(/withLock/);
    release();
    expect(await second).toEqual({ before: [], after: [] });
    expect(files(join(dataDir, "net1"))).toEqual(["lock"]);
  });

  it("serialises two concurrent calls on one instance, each reading only what it may", async () => {
    const store = new DiskStore({ dataDir, network: "net1" });
    const log: string[] = [];
    const one = (id: string) =>
      store.withLock(async (s) => {
        log.push(`enter ${id}`);
        const seen = s.reservations().length;
        await new Promise((r) => setTimeout(r, 30));
        const got = formatIp(allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(id) }).address);
        log.push(`leave ${id}`);
        return { seen, got };
      });
    const [a, b] = await Promise.all([one("a"), one("b")]);
    expect(log).toEqual(["enter a", "leave a", "enter b", "leave b"]);
    expect([a, b]).toEqual([
      { seen: 0, got: "169.254.20.2" },
      { seen: 1, got: "169.254.20.3" },
    ]);
  });
});
