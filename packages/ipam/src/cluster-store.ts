/**
 * Cluster-wide address reservations in etcd: the same range sets and hand-out
 * order as host-local, but an address is unique across every node that shares
 * the etcd cluster.
 *
 * Keys, under `<prefix><network>/`:
 *   `<address>`                          the holder of one address (node, container ID, ifname, time)
 *   `_attachments/<containerId>/<ifName>` the index: every address one attachment holds
 *   `_last-reserved/<rangeSetIndex>`     where the next search of a range set starts
 * An attachment's address keys and its index key are created in one
 * transaction and deleted in one, so whatever moment a plugin or an etcd
 * member dies, there is never one without the other.
 */
import { CniError, ErrorCode } from "@tscni/types";
import { trackWork } from "@tscni/types/work";
import type { EtcdClient, KeyValue, Operation } from "@tscni/etcd";
import { candidates } from "./allocator.js";
import { type IpAddress, type IpPrefix, formatIp, formatPrefix, parseIp, prefixContains } from "./ip.js";
import { type Range, type RangeSet, formatRangeSet, isGatewayOf, rangeFor } from "./range.js";

export interface ClusterStoreOptions {
  readonly client: EtcdClient;
  /** Ends with "/"; default `/tscni/ipam/`. */
  readonly prefix?: string;
  readonly network: string;
  /** This node's name, recorded in every reservation; GC releases only this node's. */
  readonly node: string;
  /** The clock, for the reservation's time. */
  readonly now?: () => Date;
}

/** What an address key and an index key record: enough for an operator to see who holds what. */
export interface Holder {
  readonly node: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly time: string;
}

export interface AttachmentRecord extends Holder {
  /** Addresses in their usual text form, one per range set, in range-set order. */
  readonly addresses: readonly string[];
}

/** One attachment: what a runtime's DEL and GC name. */
export interface AttachmentId {
  readonly containerId: string;
  readonly ifName: string;
}

export interface ClusterRequest {
  readonly owner: AttachmentId;
  readonly rangeSets: readonly RangeSet[];
  /** requested[i]: the address asked for in range set i (IP=, runtimeConfig.ips), if any. */
  readonly requested?: readonly ({ ip: IpAddress; from: string } | undefined)[];
  /** Never handed out (also refused when asked for). */
  readonly exclude?: readonly IpPrefix[];
}

export interface ClusterAllocation {
  readonly address: IpAddress;
  readonly range: Range;
  /** The attachment held it already (a retried ADD). */
  readonly reused: boolean;
}

export const DEFAULT_CLUSTER_PREFIX = "/tscni/ipam/";

/** The last allocation queued per node and network in this process; see `allocate`. */
const turns = new Map<string, Promise<void>>();

/** How often one ADD goes back to etcd after losing a race for an address before it gives up (code 11). */
const MAX_ROUNDS = 64;

export class ClusterStore {
  readonly #client: EtcdClient;
  readonly #base: string;
  readonly #node: string;
  readonly #now: () => Date;

  constructor(options: ClusterStoreOptions) {
    const prefix = options.prefix ?? DEFAULT_CLUSTER_PREFIX;
    if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.includes("//") || prefix.includes("\0")) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `etcd.prefix: "${prefix}" must start and end with "/"`, prefix);
    }
    this.#client = options.client;
    this.#base = `${prefix}${options.network}/`;
    this.#node = options.node;
    this.#now = options.now ?? (() => new Date());
  }

  addressKey(ip: IpAddress): string {
    return `${this.#base}${formatIp(ip)}`;
  }

  attachmentKey(owner: AttachmentId): string {
    return `${this.#base}_attachments/${owner.containerId}/${owner.ifName}`;
  }

  #cursorKey(rangeSetIndex: number): string {
    return `${this.#base}_last-reserved/${rangeSetIndex}`;
  }

  /** The attachment's record, or undefined when it holds nothing. */
  async attachment(owner: AttachmentId): Promise<AttachmentRecord | undefined> {
    const kv = (await this.#client.range(this.attachmentKey(owner))).kvs[0];
    return kv ? decodeAttachment(kv) : undefined;
  }

  /**
   * One address from every range set, reserved together in one transaction:
   * all or none. An attachment that already holds addresses gets them back.
   * Within one process (a daemon serving many ADDs), allocations of one node
   * in one network take turns: racing each other for the same next address
   * would only cost round trips. Across processes and nodes, etcd decides.
   */
  allocate(request: ClusterRequest): Promise<ClusterAllocation[]> {
    // Registered with the running invocation, as every store operation that changes etcd.
    return trackWork(this.#allocateInTurn(request));
  }

  async #allocateInTurn(request: ClusterRequest): Promise<ClusterAllocation[]> {
    const turn = `${this.#node}\0${this.#base}`;
    const previous = turns.get(turn) ?? Promise.resolve();
    const mine = previous.then(() => this.#allocate(request));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    turns.set(turn, settled);
    try {
      return await mine;
    } finally {
      if (turns.get(turn) === settled) turns.delete(turn);
    }
  }

  async #allocate(request: ClusterRequest): Promise<ClusterAllocation[]> {
    const { owner, rangeSets } = request;
    const exclude = request.exclude ?? [];
    for (const [i, r] of (request.requested ?? []).entries()) {
      if (!r) continue;
      const set = rangeSets[i]!;
      if (!rangeFor(set, r.ip)) throw invalid(`${r.from}: ${formatIp(r.ip)} is not in range set ${i} (${formatRangeSet(set)})`);
      if (isGatewayOf(set, r.ip)) throw invalid(`${r.from}: ${formatIp(r.ip)} is the gateway of range set ${i}`);
      const excluded = exclude.find((p) => prefixContains(p, r.ip));
      if (excluded) throw invalid(`${r.from}: ${formatIp(r.ip)} is excluded by ipam.exclude ${formatPrefix(excluded)}`);
    }
    const taken = new Set<string>();
    let snapshot = await this.#snapshot(rangeSets.length);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const existing = snapshot.attachment(owner);
      if (existing) return this.#reuse(existing, request);
      const picks = rangeSets.map((set, i) => {
        const fixed = request.requested?.[i];
        if (fixed) return { ip: fixed.ip, range: rangeFor(set, fixed.ip)! };
        const free = freeCandidates(set, snapshot.cursor(i), (ip) => {
          const text = formatIp(ip);
          return isGatewayOf(set, ip) || snapshot.held.has(text) || taken.has(text) || exclude.some((p) => prefixContains(p, ip));
        });
        // The first free address after the cursor, as host-local. After a lost race, one of the next few at random,
        // a window that widens with every loss, so ADDs racing from many nodes spread out instead of colliding again.
        const pick = round === 0 ? free.next().value : pickAmongNext(free, 16 * round);
        if (!pick) throw new CniError(ErrorCode.TryAgainLater, `no free address in range set ${i} (${formatRangeSet(set)})`, "every address is reserved; DEL or GC unused attachments");
        return pick;
      });
      const record: AttachmentRecord = { ...this.#holder(owner), addresses: picks.map((p) => formatIp(p.ip)) };
      const answer = await this.#client.txn({
        compare: [
          { key: this.attachmentKey(owner), target: "CREATE", result: "EQUAL", value: 0n },
          ...picks.map((p) => ({ key: this.addressKey(p.ip), target: "CREATE" as const, result: "EQUAL" as const, value: 0n })),
        ],
        success: [
          { put: { key: this.attachmentKey(owner), value: JSON.stringify(record) } },
          ...picks.map((p): Operation => ({ put: { key: this.addressKey(p.ip), value: JSON.stringify(this.#holder(owner)) } })),
          ...picks.map((p, i): Operation => ({ put: { key: this.#cursorKey(i), value: formatIp(p.ip) } })),
        ],
        failure: [{ range: { key: this.attachmentKey(owner) } }, ...picks.map((p): Operation => ({ range: { key: this.addressKey(p.ip) } }))],
      });
      if (answer.succeeded) return picks.map((p) => ({ address: p.ip, range: p.range, reused: false }));
      // Lost a race: learn what was taken from the failure branch and try again.
      const [mine, ...others] = answer.responses;
      const record2 = mine?.kvs?.[0];
      if (record2) return this.#reuse(decodeAttachment(record2), request);
      for (const [i, r] of others.entries()) {
        const holder = r.kvs?.[0];
        if (!holder) continue;
        const requested = request.requested?.[i];
        if (requested) {
          throw new CniError(ErrorCode.TryAgainLater, `${requested.from}: ${formatIp(requested.ip)} is held by another container`, holder.value);
        }
        taken.add(formatIp(picks[i]!.ip));
      }
      snapshot = await this.#snapshot(rangeSets.length);
    }
    throw new CniError(ErrorCode.TryAgainLater, `lost the race for an address ${MAX_ROUNDS} times`, "the range is under heavy concurrent allocation; retry");
  }

  /**
   * Releases what the attachment holds, in one transaction: its index key and
   * the address keys created with it (same create revision), so an address
   * someone re-reserved in between is never taken away. Unknown attachment:
   * false, and nothing changes.
   */
  release(owner: AttachmentId): Promise<boolean> {
    return trackWork(this.#release(owner));
  }

  async #release(owner: AttachmentId): Promise<boolean> {
    const indexKey = this.attachmentKey(owner);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const index = (await this.#client.range(indexKey)).kvs[0];
      if (!index) return false;
      const keys = decodeAttachment(index).addresses.map((a) => `${this.#base}${a}`);
      // One atomic read of the address keys, so the compare below sees the state they were in together.
      const read = await this.#client.txn({ compare: [], success: keys.map((key): Operation => ({ range: { key } })) });
      const ours = read.responses.flatMap((r) => r.kvs ?? []).filter((kv) => kv.createRevision === index.createRevision);
      const answer = await this.#client.txn({
        compare: [
          { key: indexKey, target: "MOD", result: "EQUAL", value: index.modRevision },
          ...ours.map((kv) => ({ key: kv.key, target: "MOD" as const, result: "EQUAL" as const, value: kv.modRevision })),
        ],
        success: [{ delete: { key: indexKey } }, ...ours.map((kv): Operation => ({ delete: { key: kv.key } }))],
      });
      if (answer.succeeded) return true;
    }
    throw new CniError(ErrorCode.TryAgainLater, `the reservation of ${owner.containerId}/${owner.ifName} kept changing while being released`);
  }

  /** Every attachment of this network, from every node. */
  async attachments(): Promise<AttachmentRecord[]> {
    const all = await this.#client.range(`${this.#base}_attachments/`, { prefix: true });
    return all.kvs.map(decodeAttachment);
  }

  /** Releases this node's attachments that are not in `valid`; another node's are never touched. Returns what it released. */
  collect(valid: readonly AttachmentId[]): Promise<AttachmentRecord[]> {
    return trackWork(this.#collect(valid));
  }

  async #collect(valid: readonly AttachmentId[]): Promise<AttachmentRecord[]> {
    const keep = new Set(valid.map((v) => `${v.containerId}/${v.ifName}`));
    const stale = (await this.attachments()).filter((a) => a.node === this.#node && !keep.has(`${a.containerId}/${a.ifName}`));
    for (const a of stale) await this.#release(a);
    return stale;
  }

  /** Fails (code 11) unless a member that is part of a quorum answers. */
  async probe(): Promise<void> {
    await this.#client.probeQuorum(`${this.#base}_last-reserved/0`);
  }

  #holder(owner: AttachmentId): Holder {
    return { node: this.#node, containerId: owner.containerId, ifName: owner.ifName, time: this.#now().toISOString() };
  }

  /** A retried ADD: the attachment's addresses, if they still fit the range sets; else it must DEL first. */
  #reuse(record: AttachmentRecord, request: ClusterRequest): ClusterAllocation[] {
    return request.rangeSets.map((set, i) => {
      const ip = parseIp(record.addresses[i] ?? "");
      const range = ip && rangeFor(set, ip);
      const asked = request.requested?.[i];
      if (!ip || !range || (asked && asked.ip.value !== ip.value)) {
        throw invalid(
          `container ${record.containerId} interface ${record.ifName} already holds ${record.addresses.join(", ")}, which does not fit this request; DEL it first`,
        );
      }
      return { address: ip, range, reused: true };
    });
  }

  /** Held addresses, cursors and this attachment's record, in one read of the network's keys. */
  async #snapshot(sets: number): Promise<{ held: Set<string>; cursor(i: number): IpAddress | undefined; attachment(o: AttachmentId): AttachmentRecord | undefined }> {
    const { kvs } = await this.#client.range(this.#base, { prefix: true });
    const held = new Set<string>();
    const cursors: (IpAddress | undefined)[] = Array.from({ length: sets }, () => undefined);
    const records = new Map<string, KeyValue>();
    for (const kv of kvs) {
      const name = kv.key.slice(this.#base.length);
      if (name.startsWith("_last-reserved/")) {
        const i = Number(name.slice("_last-reserved/".length));
        if (Number.isInteger(i) && i < sets) cursors[i] = parseIp(kv.value);
      } else if (name.startsWith("_attachments/")) {
        records.set(name.slice("_attachments/".length), kv);
      } else if (!name.includes("/")) {
        held.add(name);
      }
    }
    return {
      held,
      cursor: (i) => cursors[i],
      attachment: (o) => {
        const kv = records.get(`${o.containerId}/${o.ifName}`);
        return kv ? decodeAttachment(kv) : undefined;
      },
    };
  }
}

function invalid(message: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, message);
}

function* freeCandidates(set: RangeSet, last: IpAddress | undefined, held: (ip: IpAddress) => boolean): Generator<{ ip: IpAddress; range: Range }> {
  for (const c of candidates(set, last)) if (!held(c.ip)) yield c;
}

function pickAmongNext<T>(it: Iterator<T>, n: number): T | undefined {
  const next: T[] = [];
  for (let r = it.next(); !r.done && next.length < n; r = it.next()) next.push(r.value);
  return next[Math.floor(Math.random() * next.length)];
}

/** An index record read back from etcd: a boundary, so every field is checked. */
function decodeAttachment(kv: KeyValue): AttachmentRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(kv.value);
  } catch {
    doc = undefined;
  }
  const d = doc as Partial<Record<keyof AttachmentRecord, unknown>> | undefined;
  if (
    !d ||
    typeof d.node !== "string" ||
    typeof d.containerId !== "string" ||
    typeof d.ifName !== "string" ||
    typeof d.time !== "string" ||
    !Array.isArray(d.addresses) ||
    !d.addresses.every((a) => typeof a === "string" && parseIp(a))
  ) {
    throw new CniError(ErrorCode.IOFailure, `the reservation record ${kv.key} in etcd is not one this plugin wrote`, kv.value.slice(0, 200));
  }
  return { node: d.node, containerId: d.containerId, ifName: d.ifName, time: d.time, addresses: d.addresses as string[] };
}
