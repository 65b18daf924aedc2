/**
 * host-local's reservation store on disk, in Go's layout so that Go's
 * host-local and ours can share a data directory:
 *
 *   <dataDir>/<network>/<ip>                   "<containerID>\r\n<ifname>", created with O_EXCL
 *   <dataDir>/<network>/last_reserved_ip.<n>   the address range set n handed out last
 *   <dataDir>/<network>/lock                   flock(2) held for every read-modify-write
 *
 * Go's plugin keys everything by network name, so two networks that share a
 * subnet have two directories and two locks and can hand out the same address
 * twice. We add a claim namespace shared by every network of the data directory:
 *
 *   <dataDir>/.tscni-claims/<ip>               "<network>\r\n<containerID>\r\n<ifname>"
 *
 * A claim is created atomically with its content (written to a temporary file,
 * then link(2), which fails if the name exists) before the network's own file,
 * and an address is also refused while any other network directory holds a file
 * for it (which catches addresses Go's plugin handed out). Network names cannot
 * start with a dot, so the claim directory never collides with a network.
 * `scope: "network"` turns claims off for networks that deliberately reuse
 * addresses (Go's behaviour).
 */
import {
  closeSync,
  constants,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { CniError, ErrorCode } from "@tscni/types";
import { type Owner, type Reservation, type ReservationStore, sameOwner } from "./allocator.js";
import { type FileLock, type LockOptions, lockFile } from "./flock.js";
import { type IpAddress, formatIp, parseIp } from "./ip.js";

export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";
export const CLAIMS_DIR = ".tscni-claims";
/** Go's line break between container ID and interface name (it writes "\r\n" on every OS). */
const LINE_BREAK = "\r\n";

export type ReservationScope = "dataDir" | "network";

export interface DiskStoreOptions {
  dataDir?: string | undefined;
  network: string;
  /** "dataDir" (default): an address is held once across every network of the data directory. */
  scope?: ReservationScope | undefined;
  lock?: LockOptions | undefined;
}

interface Claim {
  network: string;
  owner: Owner;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === "ENOENT";
}

function isTaken(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === "EEXIST";
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** The names in a directory; none when it does not exist (no network, no claims yet). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
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

function parseClaim(content: string): Claim | undefined {
  const [network, containerId, ifName] = content.split(LINE_BREAK);
  if (!network || !containerId) return undefined;
  return { network, owner: { containerId, ifName } };
}

let tmpCounter = 0;

export class DiskStore implements ReservationStore {
  readonly dataDir: string;
  readonly network: string;
  readonly dir: string;
  readonly scope: ReservationScope;
  private readonly claimsDir: string;
  private readonly lockOptions: LockOptions | undefined;
  private lock: FileLock | undefined;
  private otherNetworkDirs: string[] | undefined;
  /** The network directory as last read under the current lock; dropped by every change we make. */
  private snapshot: Reservation[] | undefined;

  constructor(opts: DiskStoreOptions) {
    this.dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
    this.network = opts.network;
    this.dir = join(this.dataDir, opts.network);
    this.scope = opts.scope ?? "dataDir";
    this.claimsDir = join(this.dataDir, CLAIMS_DIR);
    this.lockOptions = opts.lock;
  }

  /** Creates the directories; code 5 naming the directory when it cannot. */
  ensureDirectories(): void {
    for (const dir of this.scope === "dataDir" ? [this.dir, this.claimsDir] : [this.dir]) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw new CniError(ErrorCode.IOFailure, `cannot create data directory ${dir}`, (e as Error).message);
      }
    }
  }

  /** Runs `fn` holding the network's lock (the one Go's host-local takes too). */
  async withLock<T>(fn: (store: this) => T | Promise<T>): Promise<T> {
    this.ensureDirectories();
    this.lock = await lockFile(join(this.dir, "lock"), this.lockOptions);
    this.otherNetworkDirs = undefined;
    this.snapshot = undefined;
    try {
      return await fn(this);
    } finally {
      this.snapshot = undefined;
      this.lock.release();
      this.lock = undefined;
    }
  }

  private assertLocked(): void {
    if (!this.lock) throw new Error("DiskStore used outside withLock()");
  }

  private ipPath(ip: IpAddress): string {
    return join(this.dir, formatIp(ip));
  }

  private claimPath(ip: IpAddress): string {
    return join(this.claimsDir, formatIp(ip));
  }

  private others(): string[] {
    if (this.otherNetworkDirs) return this.otherNetworkDirs;
    let names: string[] = [];
    try {
      names = readdirSync(this.dataDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith(".") && d.name !== this.network)
        .map((d) => d.name);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    this.otherNetworkDirs = names.map((n) => join(this.dataDir, n));
    return this.otherNetworkDirs;
  }

  private readClaim(ip: IpAddress): Claim | undefined {
    const content = readOrUndefined(this.claimPath(ip));
    return content === undefined ? undefined : parseClaim(content);
  }

  private ownFileOwner(ip: IpAddress): { exists: boolean; owner: Owner | undefined } {
    const content = readOrUndefined(this.ipPath(ip));
    return { exists: content !== undefined, owner: content === undefined ? undefined : parseOwner(content) };
  }

  /** Creates the claim with its content in one step: link(2) of a finished temporary file. */
  private createClaim(ip: IpAddress, owner: Owner): boolean {
    const tmp = join(this.claimsDir, `.tmp-${process.pid}-${++tmpCounter}`);
    writeFileSync(tmp, `${this.network}${LINE_BREAK}${owner.containerId.trim()}${LINE_BREAK}${owner.ifName ?? ""}`, {
      mode: 0o644,
    });
    try {
      linkSync(tmp, this.claimPath(ip));
      return true;
    } catch (e) {
      if (isTaken(e)) return false;
      throw e;
    } finally {
      unlinkIfPresent(tmp);
    }
  }

  /**
   * Claims `ip` across the data directory. A claim of this network whose own file
   * is gone or empty is a remnant of a process killed mid-ADD (claims of this
   * network only change under its lock, which we hold), so it is taken over.
   */
  private claim(ip: IpAddress, owner: Owner): boolean {
    if (this.others().some((dir) => statOrUndefined(join(dir, formatIp(ip))))) return false;
    if (this.createClaim(ip, owner)) return true;
    const existing = this.readClaim(ip);
    if (existing?.network !== this.network || this.ownFileOwner(ip).owner) return false;
    unlinkIfPresent(this.claimPath(ip));
    return this.createClaim(ip, owner);
  }

  private unclaim(ip: IpAddress, owner: Owner | undefined): void {
    if (this.scope !== "dataDir") return;
    const existing = this.readClaim(ip);
    if (existing && existing.network === this.network && (!owner || sameOwner(owner, existing.owner))) {
      unlinkIfPresent(this.claimPath(ip));
    }
  }

  reserve(ip: IpAddress, owner: Owner, rangeSetIndex: number): boolean {
    this.assertLocked();
    try {
      return this.reserveLocked(ip, owner, rangeSetIndex);
    } finally {
      // Whatever changed on disk, the next read must see it.
      this.snapshot = undefined;
    }
  }

  private reserveLocked(ip: IpAddress, owner: Owner, rangeSetIndex: number): boolean {
    const own = this.ownFileOwner(ip);
    if (own.owner) return false;
    if (this.scope === "dataDir" && !this.claim(ip, owner)) return false;
    const content = formatOwner(owner);
    try {
      const fd = openSync(this.ipPath(ip), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (!isTaken(e)) throw e;
      // An empty file under our lock is a crash remnant: the writer died between create and write.
      if (this.ownFileOwner(ip).owner) {
        this.unclaim(ip, owner);
        return false;
      }
      writeFileSync(this.ipPath(ip), content);
    }
    this.writeLastReserved(rangeSetIndex, ip);
    return true;
  }

  /** Written in place as Go does: a torn write only makes the next search start at the range's beginning. */
  private writeLastReserved(rangeSetIndex: number, ip: IpAddress): void {
    writeFileSync(join(this.dir, `last_reserved_ip.${rangeSetIndex}`), formatIp(ip), { mode: 0o644 });
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    const content = readOrUndefined(join(this.dir, `last_reserved_ip.${rangeSetIndex}`));
    return content === undefined ? undefined : parseIp(content.trim());
  }

  /**
   * Every file of the network directory named by an address. Under the lock
   * nobody else changes the directory, so one read serves until we change it.
   */
  reservations(): Reservation[] {
    if (this.lock && this.snapshot) return this.snapshot;
    const out = this.readReservations();
    if (this.lock) this.snapshot = out;
    return out;
  }

  private readReservations(): Reservation[] {
    const out: Reservation[] = [];
    for (const name of namesIn(this.dir)) {
      const ip = parseIp(name);
      if (!ip) continue;
      const content = readOrUndefined(join(this.dir, name));
      if (content !== undefined) out.push({ ip, owner: parseOwner(content) });
    }
    return out;
  }

  heldAddresses(): ReadonlySet<string> {
    const held = new Set<string>();
    const add = (dir: string) => {
      for (const name of namesIn(dir)) held.add(name);
    };
    add(this.dir);
    if (this.scope === "dataDir") {
      add(this.claimsDir);
      for (const dir of this.others()) add(dir);
    }
    // Crash remnants of this network (an empty file, a claim without a file) are reserve()'s to take over.
    const ownerless = new Set(this.reservations().filter((r) => !r.owner).map((r) => formatIp(r.ip)));
    for (const name of ownerless) held.delete(name);
    for (const { ip } of this.ownClaims()) {
      const name = formatIp(ip);
      if (ownerless.has(name) || !existsSync(join(this.dir, name))) held.delete(name);
    }
    return held;
  }

  /** The addresses `owner` holds in this network. */
  findByOwner(owner: Owner): IpAddress[] {
    return this.reservations()
      .filter((r) => sameOwner(r.owner, owner))
      .map((r) => r.ip);
  }

  /** Releases one address if `owner` holds it. */
  release(ip: IpAddress, owner: Owner): boolean {
    this.assertLocked();
    try {
      return this.releaseLocked(ip, owner);
    } finally {
      // Whatever changed on disk, the next read must see it.
      this.snapshot = undefined;
    }
  }

  private releaseLocked(ip: IpAddress, owner: Owner): boolean {
    const own = this.ownFileOwner(ip);
    if (!own.exists || !sameOwner(own.owner, owner)) return false;
    unlinkIfPresent(this.ipPath(ip));
    this.unclaim(ip, owner);
    return true;
  }

  /**
   * Releases everything `owner` holds, including claims left without a file by a
   * process killed mid-ADD. Go matches the old one-line format by container ID
   * only when nothing matched with the interface name; so do we.
   */
  releaseByOwner(owner: Owner): IpAddress[] {
    this.assertLocked();
    try {
      return this.releaseByOwnerLocked(owner);
    } finally {
      // Whatever changed on disk, the next read must see it.
      this.snapshot = undefined;
    }
  }

  private releaseByOwnerLocked(owner: Owner): IpAddress[] {
    const all = this.reservations();
    const exact = all.filter((r) => r.owner?.ifName !== undefined && sameOwner(r.owner, owner));
    const matched = exact.length ? exact : all.filter((r) => r.owner?.ifName === undefined && sameOwner(r.owner, owner));
    for (const r of matched) {
      unlinkIfPresent(this.ipPath(r.ip));
      this.unclaim(r.ip, owner);
    }
    for (const { ip, claim } of this.ownClaims()) {
      if (sameOwner(owner, claim.owner)) unlinkIfPresent(this.claimPath(ip));
    }
    this.sweepTemporaryClaims();
    return matched.map((r) => r.ip);
  }

  private ownClaims(): { ip: IpAddress; claim: Claim }[] {
    if (this.scope !== "dataDir") return [];
    const out: { ip: IpAddress; claim: Claim }[] = [];
    for (const name of namesIn(this.claimsDir)) {
      const ip = parseIp(name);
      const content = ip && readOrUndefined(join(this.claimsDir, name));
      const claim = content === undefined ? undefined : parseClaim(content);
      if (ip && claim?.network === this.network) out.push({ ip, claim });
    }
    return out;
  }

  /**
   * Releases every reservation whose attachment is not in `valid` (spec GC),
   * plus crash remnants: empty files and claims without a matching file.
   * Keeps going past a failing file and reports each failure.
   */
  gc(valid: readonly Owner[]): { released: IpAddress[]; errors: string[] } {
    this.assertLocked();
    try {
      return this.gcLocked(valid);
    } finally {
      // Whatever changed on disk, the next read must see it.
      this.snapshot = undefined;
    }
  }

  private gcLocked(valid: readonly Owner[]): { released: IpAddress[]; errors: string[] } {
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
    for (const r of this.reservations()) {
      if (isValid(r.owner)) continue;
      attempt(`release ${formatIp(r.ip)}`, () => {
        unlinkIfPresent(this.ipPath(r.ip));
        this.unclaim(r.ip, r.owner);
        released.push(r.ip);
      });
    }
    for (const { ip, claim } of this.ownClaims()) {
      const own = this.ownFileOwner(ip).owner;
      if (isValid(claim.owner) && own && sameOwner(own, claim.owner as Owner)) continue;
      attempt(`release claim ${formatIp(ip)}`, () => unlinkIfPresent(this.claimPath(ip)));
    }
    attempt("sweep temporary claim files", () => this.sweepTemporaryClaims());
    return { released, errors };
  }

  /**
   * Temporary claim files live for microseconds. One whose writer (the pid in its
   * name) is gone, or older than a minute (the pid was reused), is a crash remnant.
   */
  private sweepTemporaryClaims(): void {
    if (this.scope !== "dataDir") return;
    const cutoff = Date.now() - 60_000;
    for (const name of namesIn(this.claimsDir)) {
      const writer = /^\.tmp-(\d+)-\d+$/.exec(name)?.[1];
      if (writer === undefined) continue;
      const st = statOrUndefined(join(this.claimsDir, name));
      if (st && (st.mtimeMs < cutoff || !processAlive(Number(writer)))) unlinkIfPresent(join(this.claimsDir, name));
    }
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
