/**
 * Container IDs, network names and interface names become cache file names
 * (`<net>-<cid>-<ifname>`), so they are checked before anything runs: the
 * rules below (the spec's and Go's) leave no room for "/" or "..".
 */
import { CniError, ErrorCode } from "@tscni/types";

const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateContainerId(containerId: string): void {
  if (!containerId) throw new CniError(ErrorCode.InvalidEnvironment, "missing containerID");
  if (!ID_PATTERN.test(containerId)) throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", containerId);
}

export function validateNetworkName(name: string): void {
  if (!name) throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  if (!ID_PATTERN.test(name)) throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
}

/** Linux interface-name rules; length in UTF-8 bytes (the kernel's IFNAMSIZ counts bytes). */
export function validateInterfaceName(ifName: string): void {
  if (!ifName) throw new CniError(ErrorCode.InvalidEnvironment, "interface name is empty");
  if (Buffer.byteLength(ifName, "utf8") > 15) {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name is too long", "interface name should be less than 16 characters");
  }
  if (ifName === "." || ifName === "..") throw new CniError(ErrorCode.InvalidEnvironment, "interface name is . or ..");
  if (/[/:\s\u0085\u00a0]/u.test(ifName)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name contains / or : or whitespace characters", ifName);
  }
}

/** All three, as needed before an attachment's cache file is touched. */
export function validateAttachment(networkName: string, containerId: string, ifName: string): void {
  validateContainerId(containerId);
  validateNetworkName(networkName);
  validateInterfaceName(ifName);
}
