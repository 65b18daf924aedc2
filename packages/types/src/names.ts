/**
 * The rules for the names a runtime hands a plugin: container ID, network
 * name, interface name. They are the Go reference's (`pkg/utils`
 * ValidateContainerID, ValidateNetworkName, ValidateInterfaceName), kept here
 * once so that skel (CNI_CONTAINERID, CNI_IFNAME), libcni and cnitool (cache
 * file names) and netns (`ip` commands) agree on every name.
 * Cheap to import: two regular expressions, no schema library.
 */
import { CniError, ErrorCode } from "./errors.js";

/** Container IDs and network names share one character set (spec 1.0.0 "Container runtime" section). */
const CNI_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * `/`, `:` and exactly the runes Go's `unicode.IsSpace` accepts. JavaScript's
 * `\s` differs: it has U+FEFF and lacks U+0085, so it is not used here.
 */
const IFNAME_FORBIDDEN = /[/:\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** Linux IFNAMSIZ is 16 bytes including the terminating NUL; the kernel counts bytes, not characters. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/** Whether `value` is a valid container ID or network name (non-empty, Go's character set). */
export function isValidCniName(value: string): boolean {
  return CNI_NAME.test(value);
}

/** What is wrong with an interface name by Go's rules, in Go's order; undefined when nothing is. */
export type InterfaceNameProblem = "empty" | "too long" | "dot" | "forbidden character";

export function interfaceNameProblem(name: string): InterfaceNameProblem | undefined {
  if (name === "") return "empty";
  if (Buffer.byteLength(name, "utf8") > MAX_INTERFACE_NAME_BYTES) return "too long";
  if (name === "." || name === "..") return "dot";
  if (IFNAME_FORBIDDEN.test(name)) return "forbidden character";
  return undefined;
}

/** Go's ValidateContainerID: code 3 when empty, code 4 with the ID as details when its characters are wrong. */
export function validateContainerId(containerId: string): void {
  if (containerId === "") throw new CniError(ErrorCode.UnknownContainer, "missing containerID");
  if (!isValidCniName(containerId)) throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", containerId);
}

/** Go's ValidateNetworkName: code 7 (Go's empty message ends in a stray ':', which is left out here). */
export function validateNetworkName(name: string): void {
  if (name === "") throw new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  if (!isValidCniName(name)) throw new CniError(ErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
}

const IFNAME_MESSAGES: Record<InterfaceNameProblem, [msg: string, details?: string]> = {
  empty: ["interface name is empty"],
  "too long": ["interface name is too long", `interface name should be less than ${MAX_INTERFACE_NAME_BYTES + 1} characters`],
  dot: ["interface name is . or .."],
  "forbidden character": ["interface name contains / or : or whitespace characters"],
};

/** Go's ValidateInterfaceName: code 4, Go's messages. */
export function validateInterfaceName(name: string): void {
  const problem = interfaceNameProblem(name);
  if (problem === undefined) return;
  const [msg, details] = IFNAME_MESSAGES[problem];
  throw new CniError(ErrorCode.InvalidEnvironment, msg, details);
}
