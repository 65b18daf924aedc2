/** Just enough IP arithmetic to compare what a result says with what the kernel shows. */
import { isIP } from "node:net";
import { familyOf, formatIPv6 } from "@tscni/types/ip-text";

export { familyOf };

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/u.exec(text);
  if (v4Tail?.[1]) {
    const n = v4ToNumber(v4Tail[1]);
    text = `${text.slice(0, -v4Tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function v4ToNumber(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Canonical text of an address ("fd00:0::1" -> "fd00::1"); undefined when it is not one. */
export function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ip.split(".").map(Number).join(".");
  if (family === 6) return formatIPv6(v6ToBigInt(ip.toLowerCase()));
  return undefined;
}

/** The network of a CIDR in canonical text ("169.254.1.7/24" -> "169.254.1.0/24"); undefined when invalid. */
export function canonicalNetwork(cidr: string): string | undefined {
  const [ip = "", prefixText = ""] = cidr.split("/");
  const family = isIP(ip);
  const prefix = Number(prefixText);
  if (family === 0 || !/^\d+$/u.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return undefined;
  if (family === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const n = (v4ToNumber(ip) & mask) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".")}/${prefix}`;
  }
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  return `${formatIPv6(v6ToBigInt(ip.toLowerCase()) & mask)}/${prefix}`;
}

/** An address with its prefix in canonical text, host bits kept ("fd00:0::2/64" -> "fd00::2/64"). */
export function canonicalCidr(cidr: string): string | undefined {
  const [ip = "", prefix] = cidr.split("/");
  const c = canonicalIp(ip);
  return c === undefined || prefix === undefined ? undefined : `${c}/${prefix}`;
}

/** The first address after the network address ("169.254.1.7/24" -> "169.254.1.1"): the conventional gateway. */
export function firstHost(cidr: string): string | undefined {
  const network = canonicalNetwork(cidr);
  if (network === undefined) return undefined;
  const [ip = ""] = network.split("/");
  if (isIP(ip) === 4) {
    const n = v4ToNumber(ip) + 1;
    return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");
  }
  return formatIPv6(v6ToBigInt(ip) + 1n);
}

/** Whether `ip` lies inside `cidr`. */
export function contains(cidr: string, ip: string): boolean {
  const prefix = cidr.split("/")[1];
  if (prefix === undefined || familyOf(ip) !== familyOf(cidr)) return false;
  return canonicalNetwork(`${ip}/${prefix}`) === canonicalNetwork(cidr);
}
