/**
 * The claim namespace shared by every network of a data directory.
 *
 * Go's host-local keys everything by network name, so two networks that share
 * a subnet have two directories and two locks and can hand out the same
 * address twice. Ours also claims each address across the data directory:
 *
 *   <dataDir>/.tscni-claims/<ip>               "<network>\r\n<containerID>\r\n<ifname>"
 *
 * A claim is created complete in one step (data-files.ts) before the network's
 * own file, and an address is also refused while any other network directory
 * holds an entry for it (which catches addresses Go's plugin handed out).
 * Network names cannot start with a dot, so the claim directory never collides
 * with a network. Anything under a claim name that is not a regular file is
 * held by nobody we know: it is never replaced or removed.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Owner, sameOwner } from "./allocator.js";
import {
  createFile,
  entryExists,
  listDirectory,
  namesIn,
  readEntry,
  readListedFile,
  regularFilesIn,
  removeFile,
  replaceFile,
  sweepTemporaries,
} from "./data-files.js";
import { type IpAddress, formatIp, parseIp } from "./ip.js";

export const CLAIMS_DIR = ".tscni-claims";
/** Go's line break (it writes "\r\n" on every OS); claims use it too. */
export const LINE_BREAK = "\r\n";

export interface Claim {
  readonly network: string;
  readonly owner: Owner;
}

function formatClaim(network: string, owner: Owner): string {
  return `${network}${LINE_BREAK}${owner.containerId.trim()}${LINE_BREAK}${owner.ifName ?? ""}`;
}

function parseClaim(content: string): Claim | undefined {
  const [network, containerId, ifName] = content.split(LINE_BREAK);
  if (!network || !containerId) return undefined;
  return { network, owner: { containerId, ifName } };
}

/** One network's dealings with the claims, for the time its lock is held (it caches the list of other networks). */
export class Claims {
  readonly dir: string;
  readonly #dataDir: string;
  readonly #network: string;
  #otherNetworkDirs: string[] | undefined;

  constructor(dataDir: string, network: string) {
    this.#dataDir = dataDir;
    this.#network = network;
    this.dir = join(dataDir, CLAIMS_DIR);
  }

  #others(): string[] {
    if (this.#otherNetworkDirs) return this.#otherNetworkDirs;
    let names: string[] = [];
    try {
      names = readdirSync(this.#dataDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith(".") && d.name !== this.#network)
        .map((d) => d.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    this.#otherNetworkDirs = names.map((n) => join(this.#dataDir, n));
    return this.#otherNetworkDirs;
  }

  #read(name: string, listed = false): Claim | undefined {
    const entry = listed ? readListedFile(join(this.dir, name)) : readEntry(join(this.dir, name));
    return entry.kind === "file" ? parseClaim(entry.content) : undefined;
  }

  /**
   * Claims `ip` for `owner`. The caller has found this network's own file
   * missing or empty, so a claim of this network is a remnant of a process
   * killed mid-ADD (claims of this network only change under its lock) and is
   * taken over.
   */
  take(ip: IpAddress, owner: Owner): boolean {
    const name = formatIp(ip);
    if (this.#others().some((dir) => entryExists(join(dir, name)))) return false;
    const content = formatClaim(this.#network, owner);
    if (createFile(this.dir, name, content)) return true;
    return this.#read(name)?.network === this.#network && replaceFile(this.dir, name, content);
  }

  /** Drops this network's claim on `ip`, if `owner` (when given) holds it. */
  release(ip: IpAddress, owner?: Owner): void {
    const name = formatIp(ip);
    const claim = this.#read(name);
    if (claim?.network === this.#network && (!owner || sameOwner(owner, claim.owner))) removeFile(join(this.dir, name));
  }

  /** This network's claims. */
  mine(): { ip: IpAddress; claim: Claim }[] {
    const out: { ip: IpAddress; claim: Claim }[] = [];
    for (const name of regularFilesIn(this.dir)) {
      const ip = parseIp(name);
      const claim = ip && this.#read(name, true);
      if (ip && claim?.network === this.#network) out.push({ ip, claim });
    }
    return out;
  }

  /**
   * Every name under which an address may be held across the data directory,
   * of any network, whatever its type; and this network's claims on addresses
   * with no entry among `ownNames` (this network's directory as listed under
   * its lock): remnants of a process killed between claim and file. Only
   * claims outside `ownNames` are read, so an ADD reads no claim file in the
   * usual case (reading them all cost an open, fstat, read and close each).
   */
  heldWithRemnants(ownNames: ReadonlySet<string>): { names: string[]; remnants: IpAddress[] } {
    const listing = listDirectory(this.dir);
    const remnants: IpAddress[] = [];
    for (const name of listing.regularFiles) {
      if (ownNames.has(name)) continue;
      const ip = parseIp(name);
      if (ip && this.#read(name, true)?.network === this.#network) remnants.push(ip);
    }
    return { names: [...listing.names, ...this.#others().flatMap(namesIn)], remnants };
  }

  /** Removes temporary claim files whose writer died (see sweepTemporaries). */
  sweep(): void {
    sweepTemporaries(this.dir);
  }
}
