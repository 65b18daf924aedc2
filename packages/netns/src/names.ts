import { CniError, ErrorCode } from "@tscni/types";

/** Linux IFNAMSIZ is 16 bytes including the terminating NUL. */
const MAX_IFNAME_BYTES = 15;

/**
 * Characters Linux accepts in an interface name but that we refuse anyway:
 * whitespace and quotes would be re-split by `ip -batch`'s tokenizer, `#`
 * starts a comment there, control characters (NUL above all) cannot travel
 * in argv, and `/`, `:` the kernel rejects itself.
 */
const FORBIDDEN_IN_IFNAME = /[\s/:"'\\#\p{Cc}]/u;

export function ifNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name === "." || name === "..") return "is . or ..";
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_IFNAME_BYTES) return `is ${bytes} bytes long, the limit is ${MAX_IFNAME_BYTES}`;
  if (FORBIDDEN_IN_IFNAME.test(name)) return "contains whitespace, a control character, a quote, a backslash, '#', '/' or ':'";
  return undefined;
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
