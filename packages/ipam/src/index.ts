export type { IpAddress, IpFamily, IpPrefix } from "./ip.js";
export {
  bitsOf,
  compareIp,
  formatIp,
  formatPrefix,
  ipEquals,
  lastAddress,
  networkAddress,
  nextIp,
  parseIp,
  parsePrefix,
  prefixContains,
  previousIp,
} from "./ip.js";
export type { Range, RangeInput, RangeSet } from "./range.js";
export {
  formatRange,
  formatRangeSet,
  isGatewayOf,
  parseRange,
  parseRangeSets,
  rangeContains,
  rangeFor,
  rangeSetSize,
  rangesOverlap,
} from "./range.js";
export type { Allocation, AllocateOptions, Owner, Reservation, ReservationStore } from "./allocator.js";
export { allocate, candidates, sameOwner } from "./allocator.js";
export type { FileLock, LockOptions } from "./flock.js";
export { lockFile } from "./flock.js";
export type { DiskStoreOptions, LockedDiskStore, ReservationScope } from "./disk-store.js";
export { CLAIMS_DIR, DEFAULT_DATA_DIR, DiskStore, formatOwner, parseOwner } from "./disk-store.js";
export { parseResolvConf, readResolvConf } from "./resolv-conf.js";
export type { DnsInput, RequestedAddress, RequestOptions, RequestSources, RouteInput } from "./config-parts.js";
export { checkDns, checkRoutes, describeRequest, ipamConfigShapes, requestedAddresses } from "./config-parts.js";
export type { HeldCheck } from "./held.js";
export { checkHeldAddresses } from "./held.js";
