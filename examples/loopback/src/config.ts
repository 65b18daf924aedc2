/**
 * loopback reads only the standard fields (cniVersion, name, type,
 * prevResult), which skel validates; it has no options of its own. The
 * interface is always `lo`, whatever CNI_IFNAME says, as in the Go plugin:
 * a container has exactly one loopback.
 */
export const LOOPBACK = "lo";
