/**
 * `@tscni/ipam/ip`: all of the address and range arithmetic the allocator is built on. The root entry point keeps
 * what an IPAM plugin usually needs (parse and print addresses and range sets, find a range, allocate, store); this
 * subpath is for plugins that do their own maths.
 */
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
