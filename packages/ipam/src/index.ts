export type { IpAddress, IpFamily, IpPrefix } from "./ip.js";
// The arithmetic beyond parsing and printing is in @tscni/ipam/ip; the store's building blocks in ./internal.
export { formatIp, formatPrefix, parseIp, parsePrefix } from "./ip.js";
export type { Range, RangeInput, RangeSet } from "./range.js";
export { formatRange, formatRangeSet, isGatewayOf, parseRange, parseRangeSets, rangeFor, rangeSetSize } from "./range.js";
export type { Allocation, AllocateOptions, Owner, Reservation, ReservationStore } from "./allocator.js";
export { allocate } from "./allocator.js";
export type { FileLock, LockOptions } from "./flock.js";
export { lockFile } from "./flock.js";
export type { DiskStoreOptions, LockedDiskStore, ReservationScope } from "./disk-store.js";
export { DEFAULT_DATA_DIR, DiskStore } from "./disk-store.js";
export { parseResolvConf, readResolvConf } from "./resolv-conf.js";
export type { DnsInput, RequestedAddress, RequestOptions, RequestSources, RouteInput } from "./config-parts.js";
export { checkDns, checkRoutes, describeRequest, ipamConfigShapes, requestedAddresses } from "./config-parts.js";
export type { HeldCheck } from "./held.js";
export { checkHeldAddresses } from "./held.js";
