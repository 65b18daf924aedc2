import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { NetConf } from "@tscni/types";

/**
 * loopback reads only the standard fields (cniVersion, name, type,
 * prevResult), which skel validates; it has no options of its own.
 * A container has exactly one loopback interface, `lo`.
 */
export const LOOPBACK = "lo";

/** No schema to build: the config is the standard fields alone. */
export type LoopbackConfig = NetConf;

/**
 * The spec: a plugin that cannot use the interface name in CNI_IFNAME must
 * fail. Go's loopback configures `lo` whatever the name says and reports `lo`,
 * which leaves a runtime believing it got the interface it asked for. Chained
 * after another plugin, loopback only passes the result through, so the name
 * (the chain's interface) is not its to honour.
 */
export function requireLoopbackName(args: CmdArgs): void {
  if (args.prevResult || args.ifName === LOOPBACK) return;
  throw new CniError(
    ErrorCode.InvalidEnvironment,
    `CNI_IFNAME is "${args.ifName}": loopback configures only "${LOOPBACK}"`,
    `call it with CNI_IFNAME=${LOOPBACK} (cnitool: -i ${LOOPBACK})`,
  );
}
