/**
 * `@tscni/netns`: what an interface plugin needs to work in a container's
 * namespace: the `NetNs` handle over iproute2, the `ip -batch` line builders,
 * address helpers, forwarding and CHECK's container verification. Further in
 * subpaths: `/exec` (running other tools, e.g. `tc` or `nft`, the way netns
 * runs `ip`), `/testkit` (throwaway namespaces for tests), `/internal` (what
 * only this package's tests and the SDK use).
 */
export { deleteLinkForDel, netns, openNetns, openNetnsForDel, NetNs } from "./namespace.js";
export type { NetnsOptions, VethPair, VethPairOptions } from "./namespace.js";
export { NetnsError, isNetnsError } from "./errors.js";
export type { NetnsErrorKind } from "./errors.js";
export { assertToolsInstalled } from "./exec.js";
export { parseLinks } from "./ip-json.js";
export type { Address, Family, Link } from "./ip-json.js";
export { assertCidr, assertIp, addrAdd, addrDel, bridgeAdd, linkDel, linkSet, linkSetLines, routeAdd, routeDel, routeSpecOf, vethAdd } from "./commands.js";
export type { AddressSpec, BridgeSpec, LinkChanges, RouteSpec, VethEnd, Words } from "./commands.js";
export { assertIfName, assertMac, ifNameProblem } from "./names.js";
export { canonicalCidr, canonicalIp, canonicalNetwork, contains, familyOf, firstHost } from "./addr.js";
export { enableForwarding } from "./forwarding.js";
export { verifyContainer } from "./verify.js";
export type { VerifyOptions } from "./verify.js";
