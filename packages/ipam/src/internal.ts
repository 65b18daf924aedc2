/**
 * `@tscni/ipam/internal`: the store's and allocator's building blocks, for this package's tests and tools. Not
 * part of the API an IPAM plugin is written against: names here may change without notice.
 */
export { candidates, sameOwner } from "./allocator.js";
export { CLAIMS_DIR, formatOwner, parseOwner } from "./disk-store.js";
