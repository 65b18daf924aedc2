import { type IpAddress, type Owner, type Reservation, type ReservationStore, formatIp } from "@tscni/ipam";

/** A store in a Map: the allocator's contract without a disk, for unit tests. */
export class MemoryStore implements ReservationStore {
  readonly held = new Map<string, { ip: IpAddress; owner: Owner }>();
  readonly last = new Map<number, IpAddress>();
  reserveCalls = 0;

  reserve(ip: IpAddress, owner: Owner, rangeSetIndex: number): boolean {
    this.reserveCalls++;
    const key = formatIp(ip);
    if (this.held.has(key)) return false;
    this.held.set(key, { ip, owner });
    this.last.set(rangeSetIndex, ip);
    return true;
  }

  lastReserved(rangeSetIndex: number): IpAddress | undefined {
    return this.last.get(rangeSetIndex);
  }

  reservations(): Reservation[] {
    return [...this.held.values()];
  }

  release(ip: IpAddress): void {
    this.held.delete(formatIp(ip));
  }
}
