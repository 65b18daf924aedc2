/**
 * Entries someone else planted in the data directory: symbolic links (dangling,
 * to a file with content, to an empty file, to a directory), directories and
 * FIFOs where the store expects an address file, a claim, a temporary file,
 * `last_reserved_ip.N` or `lock`. The store never writes or deletes through
 * them, never opens them, and treats every one as a held address.
 */
import { execFileSync } from "node:child_process";
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskStore, allocate, formatIp, parseIp, parseRangeSets } from "@tscni/ipam";
import { CLAIMS_DIR } from "@tscni/ipam/internal";
import { cniRejection } from "../../../test/support/cni-error.js";

const owner = (id: string, ifName = "eth0") => ({ containerId: id, ifName });
const [rangeSet] = parseRangeSets([[{ subnet: "169.254.20.0/29" }]], "ipam.ranges") as [NonNullable<ReturnType<typeof parseRangeSets>[number]>];

let root: string;
let dataDir: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tscni-ipam-plants-"));
  dataDir = join(root, "data");
  outside = join(root, "outside");
  mkdirSync(dataDir);
  mkdirSync(outside);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The victims outside the data directory and what each must still hold afterwards. */
interface Victims {
  file: string;
  empty: string;
  dir: string;
  missing: string;
}

function victims(): Victims {
  const v = { file: join(outside, "precious"), empty: join(outside, "empty"), dir: join(outside, "dir"), missing: join(outside, "not-there") };
  writeFileSync(v.file, "precious\n");
  writeFileSync(v.empty, "");
  mkdirSync(v.dir);
  return v;
}

function expectVictimsUntouched(v: Victims): void {
  expect(readFileSync(v.file, "utf8")).toBe("precious\n");
  expect(readFileSync(v.empty, "utf8")).toBe("");
  expect(readdirSync(v.dir)).toEqual([]);
  expect(existsSync(v.missing)).toBe(false);
  expect(readdirSync(outside).sort()).toEqual(["dir", "empty", "precious"]);
}

const LINK_KINDS = ["missing", "file", "empty", "dir"] as const;
type LinkKind = (typeof LINK_KINDS)[number];

function plantLink(path: string, kind: LinkKind, v: Victims): void {
  mkdirSync(join(path, ".."), { recursive: true });
  symlinkSync(v[kind], path);
}

const add = (store: DiskStore, id: string) =>
  store.withLock((s) => formatIp(allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner(id) }).address));

describe.each(LINK_KINDS)("a symbolic link to a %s target", (kind) => {
  it("at an address file name: held, never written or deleted through, DEL and GC succeed", async () => {
    const v = victims();
    const link = join(dataDir, "net1", "169.254.20.2");
    plantLink(link, kind, v);
    const store = new DiskStore({ dataDir, network: "net1" });
    const asked = await cniRejection(
      store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c0"), requested: parseIp("169.254.20.2") })),
    );
    expect(asked).toMatchObject({ code: 11, msg: "the requested addresses: 169.254.20.2 is held by another container" });
    expect(await add(store, "c1")).toBe("169.254.20.3");
    await store.withLock((s) => {
      expect(s.findByOwner(owner("c1")).map(formatIp)).toEqual(["169.254.20.3"]);
      expect(s.releaseByOwner(owner("c1")).map(formatIp)).toEqual(["169.254.20.3"]);
    });
    expect((await store.withLock((s) => s.gc([]))).errors).toEqual([]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expectVictimsUntouched(v);
  });

  it("at a claim name: held by every network of the data directory", async () => {
    const v = victims();
    const link = join(dataDir, CLAIMS_DIR, "169.254.20.2");
    plantLink(link, kind, v);
    expect(await add(new DiskStore({ dataDir, network: "net1" }), "c1")).toBe("169.254.20.3");
    expect(await add(new DiskStore({ dataDir, network: "net2" }), "c2")).toBe("169.254.20.4");
    for (const net of ["net1", "net2"]) {
      expect((await new DiskStore({ dataDir, network: net }).withLock((s) => s.gc([]))).errors).toEqual([]);
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expectVictimsUntouched(v);
  });

  it("at every temporary name a writer could guess (pid and counter)", async () => {
    const v = victims();
    const claimsDir = join(dataDir, CLAIMS_DIR);
    mkdirSync(claimsDir, { recursive: true });
    mkdirSync(join(dataDir, "net1"), { recursive: true });
    for (let n = 0; n <= 200; n++) {
      symlinkSync(v[kind], join(claimsDir, `.tmp-${process.pid}-${n}`));
      symlinkSync(v[kind], join(dataDir, "net1", `.tmp-${process.pid}-${n}`));
    }
    const store = new DiskStore({ dataDir, network: "net1" });
    expect(await add(store, "c1")).toBe("169.254.20.2");
    expect(await add(store, "c2")).toBe("169.254.20.3");
    await store.withLock((s) => s.releaseByOwner(owner("c1")));
    expect((await store.withLock((s) => s.gc([]))).errors).toEqual([]);
    expect(readdirSync(claimsDir).filter((n) => n.startsWith(".tmp-"))).toHaveLength(201);
    expectVictimsUntouched(v);
  });

  it("at last_reserved_ip.0: code 11 naming the file, nothing reserved", async () => {
    const v = victims();
    const link = join(dataDir, "net1", "last_reserved_ip.0");
    plantLink(link, kind, v);
    const store = new DiskStore({ dataDir, network: "net1" });
    const error = await cniRejection(add(store, "c1"));
    expect(error).toMatchObject({ code: 11 });
    expect(error.msg).toContain(link);
    // A requested address does not read the file first; writing it must refuse all the same and leave nothing held.
    const requested = await cniRejection(
      store.withLock((s) => allocate({ store: s, rangeSet, rangeSetIndex: 0, owner: owner("c2"), requested: rangeSet[0]!.rangeEnd })),
    );
    expect(requested).toMatchObject({ code: 11 });
    expect(readdirSync(join(dataDir, "net1")).sort()).toEqual(["last_reserved_ip.0", "lock"]);
    expect(readdirSync(join(dataDir, CLAIMS_DIR))).toEqual([]);
    expectVictimsUntouched(v);
  });

  it("at lock: code 11 naming the file for every verb", async () => {
    const v = victims();
    const link = join(dataDir, "net1", "lock");
    plantLink(link, kind, v);
    const store = new DiskStore({ dataDir, network: "net1" });
    for (const attempt of [add(store, "c1"), store.withLock((s) => s.releaseByOwner(owner("c1")))]) {
      const error = await cniRejection(attempt);
      expect(error).toMatchObject({ code: 11 });
      expect(error.msg).toContain(link);
    }
    expectVictimsUntouched(v);
  });
});

describe("a symbolic link in place of the network's directory", () => {
  it("is refused with code 11 naming it: no file is created outside the data directory", async () => {
    const v = victims();
    symlinkSync(v.dir, join(dataDir, "net1"));
    const error = await cniRejection(add(new DiskStore({ dataDir, network: "net1" }), "c1"));
    expect(error).toMatchObject({ code: 11 });
    expect(error.msg).toContain(join(dataDir, "net1"));
    expectVictimsUntouched(v);
  });
});

describe("a stray directory", () => {
  it("named like an address in the network's directory: held; ADD, DEL, CHECK and GC succeed", async () => {
    mkdirSync(join(dataDir, "net1", "169.254.20.2"), { recursive: true });
    const store = new DiskStore({ dataDir, network: "net1" });
    expect(await add(store, "c1")).toBe("169.254.20.3");
    await store.withLock((s) => {
      expect(s.findByOwner(owner("c1")).map(formatIp)).toEqual(["169.254.20.3"]);
      expect(s.heldAddresses().has("169.254.20.2")).toBe(true);
      expect(s.releaseByOwner(owner("c1")).map(formatIp)).toEqual(["169.254.20.3"]);
      expect(s.releaseByOwner(owner("c1"))).toEqual([]);
    });
    expect(await store.withLock((s) => s.gc([]))).toEqual({ released: [], errors: [] });
    expect(lstatSync(join(dataDir, "net1", "169.254.20.2")).isDirectory()).toBe(true);
  });

  it("named like an address in the claims directory: held by every network, nothing breaks", async () => {
    mkdirSync(join(dataDir, CLAIMS_DIR, "169.254.20.2"), { recursive: true });
    mkdirSync(join(dataDir, CLAIMS_DIR, ".tmp-999999999-1"));
    for (const net of ["net1", "net2"]) {
      const store = new DiskStore({ dataDir, network: net });
      expect(await add(store, `c-${net}`)).toBe("169.254.20.3");
      expect(await store.withLock((s) => s.releaseByOwner(owner(`c-${net}`)))).toHaveLength(1);
      expect((await store.withLock((s) => s.gc([]))).errors).toEqual([]);
    }
    expect(readdirSync(join(dataDir, CLAIMS_DIR)).sort()).toEqual([".tmp-999999999-1", "169.254.20.2"]);
  });
});

describe("a FIFO", () => {
  it("under an address name or a claim name is never opened: ADD, DEL and GC do not hang", async () => {
    mkdirSync(join(dataDir, "net1"), { recursive: true });
    mkdirSync(join(dataDir, CLAIMS_DIR), { recursive: true });
    execFileSync("mkfifo", [join(dataDir, "net1", "169.254.20.2"), join(dataDir, CLAIMS_DIR, "169.254.20.3")]);
    const store = new DiskStore({ dataDir, network: "net1" });
    expect(await add(store, "c1")).toBe("169.254.20.4");
    expect(await store.withLock((s) => s.releaseByOwner(owner("c1")))).toHaveLength(1);
    expect(await store.withLock((s) => s.gc([]))).toEqual({ released: [], errors: [] });
    expect(lstatSync(join(dataDir, "net1", "169.254.20.2")).isFIFO()).toBe(true);
  });

  it("at last_reserved_ip.0 or lock: code 11 naming it", async () => {
    for (const name of ["last_reserved_ip.0", "lock"]) {
      const net = `fifo-${name.replace(/\W/g, "")}`;
      mkdirSync(join(dataDir, net), { recursive: true });
      execFileSync("mkfifo", [join(dataDir, net, name)]);
      const error = await cniRejection(add(new DiskStore({ dataDir, network: net }), "c1"));
      expect(error).toMatchObject({ code: 11 });
      expect(error.msg).toContain(join(dataDir, net, name));
    }
  });
});

describe("a hard link", () => {
  it("at last_reserved_ip.0 to a file outside: replaced by a file of our own, the outside file untouched; a file of ours is rewritten in place", async () => {
    const v = victims();
    const planted = join(dataDir, "net1", "last_reserved_ip.0");
    mkdirSync(join(dataDir, "net1"), { recursive: true });
    linkSync(v.file, planted);
    const store = new DiskStore({ dataDir, network: "net1" });
    // "precious" is no address: the search starts at the range's beginning.
    expect(await add(store, "c1")).toBe("169.254.20.2");
    expectVictimsUntouched(v);
    expect(lstatSync(planted).nlink).toBe(1);
    expect(readFileSync(planted, "utf8")).toBe("169.254.20.2");
    const ino = lstatSync(planted).ino;
    expect(await add(store, "c2")).toBe("169.254.20.3");
    expect(readFileSync(planted, "utf8")).toBe("169.254.20.3");
    expect(lstatSync(planted).ino).toBe(ino);
  });
});
