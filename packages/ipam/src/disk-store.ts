/**
 * host-local's reservation store on disk, in Go's layout so that Go's
 * host-local and ours can share a data directory:
 *
 *   <dataDir>/<network>/<ip>                   "<containerID>\r\n<ifname>"
 *   <dataDir>/<network>/last_reserved_ip.<n>   the address range set n handed out last
 *   <dataDir>/<network>/lock                   flock(2) held for every read-modify-write
 *
 * plus the claims of claims.ts, unless `scope: "network"` turns them off for
 * networks that deliberately reuse addresses (Go's behaviour). Every file is
 * read, created and removed through data-files.ts: an entry someone planted
 * (a link, a directory, a FIFO) under an address name is held, never followed.
 *
 * `withLock` takes the lock and hands its callback a `LockedDiskStore`: a view
 * that lives exactly as long as that lock, so two calls on one `DiskStore`
 * never share a lock or a cache, and a view kept past its call refuses to work.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CniError, ErrorCode } from "@tscni/types";
import { trackWork } from "@tscni/types/work";
import { type Owner, type Reservation, type ReservationStore, sameOwner } from "./allocator.js";
import { CLAIMS_DIR, Claims, LINE_BREAK } from "./claims.js";
import {
  type Entry,
  type Listing,
  assertDirectory,
  assertFileOrMissing,
  createFile,
  listDirectory,
  overwriteFile,
  readEntry,
  readListedFile,
  removeFile,
  replaceFile,
  sweepTemporaries,
} from "./data-files.js";
import { type LockOptions, lockFile } from "./flock.js";
import { type IpAddress, formatIp, parseIp } from "./ip.js";

export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";
export { CLAIMS_DIR };

export type ReservationScope = "dataDir" | "network";

export interface DiskStoreOptions {
  dataDir?: string | undefined;
  network: string;
  /** "dataDir" (default): an address is held once across every network of the data directory. */
  scope?: ReservationScope | undefined;
  lock?: LockOptions | undefined;
}

/** Go's content: "<id>\r\n<ifname>"; a lone line is the pre-ifname format. Empty: no owner. */
export function parseOwner(content: string): Owner | undefined {
  const [containerId, ifName] = content.trim().split(/\r?\n/);
  if (!containerId) return undefined;
  return ifName === undefined ? { containerId } : { containerId, ifName };
}

export function formatOwner(owner: Owner): string {
  return `${owner.containerId.trim()}${LINE_BREAK}${owner.ifName ?? ""}`;
}

export class DiskStore {
  readonly dataDir: string;
  readonly network: string;
  readonly dir: string;
  readonly scope: ReservationScope;
  readonly #lockOptions: LockOptions | undefined;

  constructor(opts: DiskStoreOptions) {
    this.dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
    this.network = opts.network;
    this.dir = join(this.dataDir, opts.network);
    this.scope = opts.scope ?? "dataDir";
    this.#lockOptions = opts.lock;
  }

  /** Creates the directories; code 11 naming one that is a link or a file, code 5 when one cannot be made. */
  ensureDirectories(): void {
    for (const dir of this.scope === "dataDir" ? [this.dir, join(this.dataDir, CLAIMS_DIR)] : [this.dir]) {
      // Already there (every request but the first): no mkdir, which would fail EEXIST and stat again.
      if (assertDirectory(dir)) continue;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw new CniError(ErrorCode.IOFailure, `cannot create data directory ${dir}`, (e as Error).message);
      }
    }
  }

  /** Runs `fn` holding the network's lock (the one Go's host-local takes too), with a view valid until it returns. */
  withLock<T>(fn: (store: LockedDiskStore) => T | Promise<T>): Promise<T> {
    // Registered with the running invocation: a handler that forgets to await it cannot answer before it ends.
    return trackWork(this.#withLock(fn));
  }

  async #withLock<T>(fn: (store: LockedDiskStore) => T | Promise<T>): Promise<T> {
    this.ensureDirectories();
    const lock = await lockFile(join(this.dir, "lock"), this.#lockOptions);
    const lease = { held: true };
    try {
      return await fn(new LockedDiskStore(this, lease));
    } finally {
      lease.held = false;
      lock.release();
    }
  }
}

/** The store while one `withLock` call holds the lock. Only `DiskStore.withLock` makes one. */
export class LockedDiskStore implements ReservationStore {
  readonly dir: string;
  readonly #lease: { readonly held: boolean };
  readonly #claims: Claims | undefined;
  /** The network directory as last read under this lock; dropped by every change. */
  #snapshot: Reservation[] | undefined;
  /** Its listing, read once for both questions (names, regular files); dropped with the snapshot. */
  #listing: Listing | undefined;

  constructor(store: DiskStore, lease: { readonly held: boolean }) {
    this.dir = store.dir;
    this.#lease = lease;
    this.#claims = store.scope === "dataDir" ? new Claims(store.dataDir, store.network) : undefined;
  }

  #assertHeld(): void {
    if (!this.#lease.held) throw new Error(`DiskStore view of ${this.dir} used after its withLock() returned (work not awaited?)`);
  }

  /** Every read goes through here: it must hold the lock. */
  #read<T>(fn: () => T): T {
    this.#assertHeld();
    return fn();
  }

  /** Every change goes through here: it must hold the lock, and whatever changed on disk, the next read sees it. */
  #change<T>(fn: () => T): T {
    this.#assertHeld();
    try {
      return fn();
    } finally {
      this.#snapshot = undefined;
      this.#listing = undefined;
    }
  }

  #list(): Listing {
    return (this.#listing ??= listDirectory(this.dir));
  }

  #path(ip: IpAddress): string {
    return join(this.dir, formatIp(ip));
  }

  #lastReservedPath(rangeSetIndex: number): string {
    return join(this.dir, `last_reserved_ip.${rangeSetIndex}`);
  }

  reserve(ip: IpAddress, owner: Owner, rangeSetIndex: number): boolean {
    return this.#change(() => {
      const own = readEntry(this.#path(ip));
      if (own.kind === "other" || (own.kind === "file" && parseOwner(own.content))) return false;
      // Refused before anything is held, so the refusal leaves nothing behind.
      assertFileOrMissing(this.#lastReservedPath(rangeSetIndex));
      if (this.#claims && !this.#claims.take(ip, owner)) return false;
      if (!this.#writeOwnFile(ip, own, formatOwner(owner))) {
        this.#claims?.release(ip, owner);
        return false;
      }
      try {
        this.#writeLastReserved(rangeSetIndex, ip);
      } catch (e) {
        removeFile(this.#path(ip));
        this.#claims?.release(ip, owner);
        throw e;
      }
      return true;
    });
  }

  /**
   * Creates the address file, or replaces an empty one: under our lock that is
   * a crash remnant (Go's writer died between create and write).
   */
  #writeOwnFile(ip: IpAddress, seen: Entry, content: string): boolean {
    const name = formatIp(ip);
    if (seen.kind === "missing" && createFile(this.dir, name, content)) return true;
    const now = seen.kind === "missing" ? readEntry(this.#path(ip)) : seen;
    return now.kind === "file" && !parseOwner(now.content) && replaceFile(this.dir, name, content);
  }

  /**
   * Written in place as Go does when it is a regular file of ours alone, else
   * created or replaced in one step; a link or directory under the name is refused, code 11.
   */
  #writeLastReserved(rangeSetIndex: number, ip: IpAddress): void {
    const path = this.#lastReservedPath(rangeSetIndex);
    assertFileOrMissing(path);
    if (overwriteFile(path, formatIp(ip))) return;
    if (!replaceFile(this.dir, `last_reserved_ip.${rangeSetIndex}`, formatIp(ip))) assertFileOrMissing(path);
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    return this.#read(() => {
      const path = this.#lastReservedPath(rangeSetIndex);
      assertFileOrMissing(path);
      const entry = readEntry(path);
      return entry.kind === "file" ? parseIp(entry.content.trim()) : undefined;
    });
  }

  /** Every regular file of the network directory named by an address; one read serves until this view changes something. */
  reservations(): Reservation[] {
    return this.#read(() => (this.#snapshot ??= this.#readReservations()));
  }

  #readReservations(): Reservation[] {
    const out: Reservation[] = [];
    for (const name of this.#list().regularFiles) {
      const ip = parseIp(name);
      const entry = ip && readListedFile(join(this.dir, name));
      if (ip && entry && entry.kind === "file") out.push({ ip, owner: parseOwner(entry.content) });
    }
    return out;
  }

  heldAddresses(): ReadonlySet<string> {
    return this.#read(() => {
      const own = this.#list().names;
      const claims = this.#claims?.heldWithRemnants(new Set(own));
      const held = new Set([...own, ...(claims?.names ?? [])]);
      // Crash remnants of this network (an empty file, a claim without a file) are reserve()'s to take over.
      for (const r of this.reservations()) if (!r.owner) held.delete(formatIp(r.ip));
      for (const ip of claims?.remnants ?? []) held.delete(formatIp(ip));
      return held;
    });
  }

  /** The addresses `owner` holds in this network. */
  findByOwner(owner: Owner): IpAddress[] {
    return this.reservations()
      .filter((r) => sameOwner(r.owner, owner))
      .map((r) => r.ip);
  }

  /** Releases one address if `owner` holds it. */
  release(ip: IpAddress, owner: Owner): boolean {
    return this.#change(() => {
      const own = readEntry(this.#path(ip));
      if (own.kind !== "file" || !sameOwner(parseOwner(own.content), owner)) return false;
      removeFile(this.#path(ip));
      this.#claims?.release(ip, owner);
      return true;
    });
  }

  /**
   * Releases everything `owner` holds, including claims left without a file by a
   * process killed mid-ADD. Go matches the old one-line format by container ID
   * only when nothing matched with the interface name; so do we.
   */
  releaseByOwner(owner: Owner): IpAddress[] {
    return this.#change(() => {
      const all = this.reservations();
      const exact = all.filter((r) => r.owner?.ifName !== undefined && sameOwner(r.owner, owner));
      const matched = exact.length ? exact : all.filter((r) => r.owner?.ifName === undefined && sameOwner(r.owner, owner));
      for (const r of matched) {
        removeFile(this.#path(r.ip));
        this.#claims?.release(r.ip, owner);
      }
      for (const { ip, claim } of this.#claims?.mine() ?? []) {
        if (sameOwner(owner, claim.owner)) this.#claims?.release(ip);
      }
      this.#sweep();
      return matched.map((r) => r.ip);
    });
  }

  /**
   * Releases every reservation whose attachment is not in `valid` (spec GC),
   * plus crash remnants: empty files and claims without a matching file.
   * Keeps going past a failing file and reports each failure.
   */
  gc(valid: readonly Owner[]): { released: IpAddress[]; errors: string[] } {
    return this.#change(() => {
      const isValid = (owner: Owner | undefined) =>
        owner !== undefined &&
        valid.some((v) => v.containerId === owner.containerId && (owner.ifName === undefined || v.ifName === owner.ifName));
      const released: IpAddress[] = [];
      const errors: string[] = [];
      const attempt = (what: string, fn: () => void) => {
        try {
          fn();
        } catch (e) {
          errors.push(`${what}: ${(e as Error).message}`);
        }
      };
      const reservations = this.reservations();
      for (const r of reservations) {
        if (isValid(r.owner)) continue;
        attempt(`release ${formatIp(r.ip)}`, () => {
          removeFile(this.#path(r.ip));
          this.#claims?.release(r.ip, r.owner);
          released.push(r.ip);
        });
      }
      const kept = reservations.filter((r) => isValid(r.owner));
      for (const { ip, claim } of this.#claims?.mine() ?? []) {
        const own = kept.find((r) => r.ip.family === ip.family && r.ip.value === ip.value)?.owner;
        if (isValid(claim.owner) && own && sameOwner(own, claim.owner)) continue;
        attempt(`release claim ${formatIp(ip)}`, () => this.#claims?.release(ip));
      }
      attempt("sweep temporary files", () => this.#sweep());
      return { released, errors };
    });
  }

  /** Temporary files of a process killed mid-write, in the claims and the network directory. */
  #sweep(): void {
    this.#claims?.sweep();
    sweepTemporaries(this.dir);
  }
}
