/**
 * Picks addresses from a range set and reserves them in a store. Pure logic:
 * the store decides what "reserved" means (a file created exclusively on disk,
 * or a map in a test), and the caller holds whatever lock the store needs.
 *
 * The order follows Go's host-local, so both plugins sharing a store hand out
 * addresses the same way: start after the set's last reserved address, walk
 * the ranges in order, wrap around once, never return a gateway.
 */
import { CniError, ErrorCode } from "@tscni/types";
import { type IpAddress, formatIp } from "./ip.js";
import { type Range, type RangeSet, formatRangeSet, isGatewayOf, rangeContains, rangeFor } from "./range.js";

/** Who holds a reservation: the attachment (container ID + interface name). */
export interface Owner {
  readonly containerId: string;
  /** Absent in reservations written by very old Go plugins (container ID only). */
  readonly ifName?: string | undefined;
}

export interface Reservation {
  readonly ip: IpAddress;
  /** Undefined when the store holds the address without a readable owner (e.g. a crash remnant). */
  readonly owner: Owner | undefined;
}

/** What the allocator needs from a store; every call happens with the store's lock held. */
export interface ReservationStore {
  /** Reserves `ip` for `owner`; false when the address is already held. Must be exclusive. */
  reserve(ip: IpAddress, owner: Owner, rangeSetIndex: number): boolean;
  /** The address the set handed out last, where the next search starts. */
  lastReserved(rangeSetIndex: number): IpAddress | undefined;
  /** Every reservation of this network. */
  reservations(): Reservation[];
  /** Addresses known to be held, in `formatIp` form (a hint that saves reserve attempts; `reserve` stays the judge). */
  heldAddresses?(): ReadonlySet<string>;
}

export function sameOwner(held: Owner | undefined, wanted: Owner): boolean {
  if (!held || held.containerId !== wanted.containerId.trim()) return false;
  return held.ifName === undefined || held.ifName === wanted.ifName;
}

export interface Allocation {
  readonly address: IpAddress;
  readonly range: Range;
  /** The owner already held this address (a retried ADD): nothing new was reserved. */
  readonly reused: boolean;
}

export interface AllocateOptions {
  store: ReservationStore;
  rangeSet: RangeSet;
  rangeSetIndex: number;
  owner: Owner;
  /** A specific address to reserve (the `ips` capability, `IP=` in CNI_ARGS). */
  requested?: IpAddress | undefined;
  /** Names the request's origin in errors, e.g. `runtimeConfig.ips`. */
  requestedFrom?: string | undefined;
}

/** Every address of the set once, starting after `last`, wrapping around. */
export function* candidates(set: RangeSet, last: IpAddress | undefined): Generator<{ ip: IpAddress; range: Range }> {
  const lastIndex = last ? set.findIndex((r) => rangeContains(r, last)) : -1;
  const first = lastIndex < 0 ? 0 : lastIndex;
  for (let k = 0; k <= set.length; k++) {
    const range = set[(first + k) % set.length];
    if (!range) return;
    const family = range.rangeStart.family;
    let from = range.rangeStart.value;
    let to = range.rangeEnd.value;
    // The range holding `last` is visited twice: after `last` first, up to `last` at the very end.
    if (lastIndex >= 0 && last && k === 0) from = last.value + 1n;
    else if (lastIndex >= 0 && last && k === set.length) to = last.value;
    else if (k === set.length) return;
    for (let v = from; v <= to; v++) yield { ip: { family, value: v }, range };
  }
}

/**
 * Reserves one address of the set for `owner`. An owner that already holds an
 * address of this set gets it back (a retried ADD), where Go's host-local errors.
 */
export function allocate(opts: AllocateOptions): Allocation {
  const { store, rangeSet, rangeSetIndex, owner, requested } = opts;
  const setName = `range set ${rangeSetIndex} (${formatRangeSet(rangeSet)})`;
  const mine = store.reservations().filter((r) => sameOwner(r.owner, owner) && rangeFor(rangeSet, r.ip));

  if (requested) {
    const range = rangeFor(rangeSet, requested);
    const from = opts.requestedFrom ?? "the requested addresses";
    if (!range) throw new CniError(ErrorCode.InvalidNetworkConfig, `${from}: ${formatIp(requested)} is not in ${setName}`);
    if (isGatewayOf(rangeSet, requested)) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `${from}: ${formatIp(requested)} is the gateway of ${setName}`);
    }
    const existing = mine[0];
    if (existing && existing.ip.value !== requested.value) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `${from}: container ${owner.containerId} interface ${owner.ifName ?? ""} already holds ${formatIp(existing.ip)} in ${setName}; DEL it first`,
      );
    }
    if (existing) return { address: requested, range, reused: true };
    if (store.reserve(requested, owner, rangeSetIndex)) return { address: requested, range, reused: false };
    throw new CniError(ErrorCode.TryAgainLater, `${from}: ${formatIp(requested)} is held by another container`, setName);
  }

  const existing = mine[0];
  if (existing) return { address: existing.ip, range: rangeFor(rangeSet, existing.ip) as Range, reused: true };

  const held = store.heldAddresses?.() ?? new Set<string>();
  for (const { ip, range } of candidates(rangeSet, store.lastReserved(rangeSetIndex))) {
    if (isGatewayOf(rangeSet, ip) || held.has(formatIp(ip))) continue;
    if (store.reserve(ip, owner, rangeSetIndex)) return { address: ip, range, reused: false };
  }
  throw new CniError(ErrorCode.TryAgainLater, `no free address in ${setName}`, "every address is reserved; DEL or GC unused attachments");
}
