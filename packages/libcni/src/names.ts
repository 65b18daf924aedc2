/**
 * Container IDs, network names and interface names become cache file names
 * (`<net>-<cid>-<ifname>`), so they are checked before anything runs. The
 * rules (the spec's and Go's, in @tscni/types) leave no room for "/" or "..",
 * and are the same ones a plugin applies to CNI_CONTAINERID and CNI_IFNAME.
 */
import { validateContainerId, validateInterfaceName, validateNetworkName } from "@tscni/types/names";

export { validateContainerId, validateInterfaceName, validateNetworkName };

/** All three, as needed before an attachment's cache file is touched. */
export function validateAttachment(networkName: string, containerId: string, ifName: string): void {
  validateContainerId(containerId);
  validateNetworkName(networkName);
  validateInterfaceName(ifName);
}
