import { CniError, ErrorCode } from "@tscni/types";
import { interfaceNameProblem, MAX_INTERFACE_NAME_BYTES } from "@tscni/types/names";

/**
 * Valid interface names (the CNI rules in @tscni/types) that we refuse anyway
 * because they cannot travel in an `ip -batch` line: its tokenizer unquotes
 * quotes and backslashes, `#` starts a comment there, and control characters
 * (NUL above all) cannot travel in argv.
 */
const BATCH_UNSAFE = /["'\\#\p{Cc}]/u;
const FORBIDDEN = "contains whitespace, a control character, a quote, a backslash, '#', '/' or ':'";

export function ifNameProblem(name: string): string | undefined {
  switch (interfaceNameProblem(name)) {
    case "empty":
      return "is empty";
    case "dot":
      return "is . or ..";
    case "too long":
      return `is ${Buffer.byteLength(name, "utf8")} bytes long, the limit is ${MAX_INTERFACE_NAME_BYTES}`;
    case "forbidden character":
      return FORBIDDEN;
    case undefined:
      return BATCH_UNSAFE.test(name) ? FORBIDDEN : undefined;
  }
}

/** Throws CniError 4 unless `name` is a usable interface name; `what` names its source (e.g. CNI_IFNAME). */
export function assertIfName(name: string, what = "interface name"): string {
  const problem = ifNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid ${what} ${JSON.stringify(name)}: it ${problem}`);
  return name;
}

/**
 * A token that goes into an `ip -batch` line (an address, a CIDR, a number, a
 * MAC): batch lines are split on whitespace with quote and comment handling,
 * so a token must contain none of those to mean exactly itself.
 */
export function assertBatchToken(value: string, what: string): string {
  if (value === "" || /[\s"'\\#\p{Cc}]/u.test(value)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid ${what} ${JSON.stringify(value)}`);
  }
  return value;
}

/** A namespace path must be absolute: `ip` treats a bare word as a name under /run/netns. */
export function assertNetnsPath(path: string): string {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_NETNS ${JSON.stringify(path)}: not an absolute path`);
  }
  return path;
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/iu;
export function assertMac(mac: string): string {
  if (!MAC.test(mac)) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MAC address ${JSON.stringify(mac)}`);
  return mac.toLowerCase();
}

export function assertMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MTU ${mtu}: must be an integer from 68 to 65535`);
  }
  return mtu;
}

/** `net/ipv4/ip_forward` or `net.ipv4.ip_forward` (dots only when no segment holds a dot, e.g. no VLAN names). */
export function sysctlPath(key: string): string {
  const segments = key.includes("/") ? key.split("/") : key.split(".");
  for (const s of segments) {
    if (s === "" || s === "." || s === ".." || s.includes("\0")) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid sysctl key ${JSON.stringify(key)}`);
    }
  }
  return `/proc/sys/${segments.join("/")}`;
}
