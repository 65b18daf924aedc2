/**
 * tuning's configuration: Go's `sysctl`, `mac`, `mtu`, `promisc`, `allmulti`
 * and `dataDir`, and the `mac` capability from runtimeConfig. The schema checks
 * shapes (built on first use, never on VERSION); `settingsOf` checks values
 * and names the field.
 */
import { isAbsolute } from "node:path";
import { assertMac } from "@tscni/netns";
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode, type NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function tuningConfigSchema() {
  return z.looseObject({
    sysctl: z.optional(z.record(z.string(), z.string())),
    mac: z.optional(z.string()),
    mtu: z.optional(z.int().check(z.gte(68), z.lte(65535))),
    promisc: z.optional(z.boolean()),
    allmulti: z.optional(z.boolean()),
    /** Where what ADD changed is remembered for DEL; default /run/cni/tuning (Go's). */
    dataDir: z.optional(z.string()),
    runtimeConfig: z.optional(z.looseObject({ mac: z.optional(z.string()) })),
  });
}

export type TuningConfig = NetConf & z.infer<ReturnType<typeof tuningConfigSchema>>;
export type TuningArgs = CmdArgs<TuningConfig>;

export const DEFAULT_DATA_DIR = "/run/cni/tuning";

/** The link attributes tuning sets and DEL restores. */
export interface LinkSettings {
  mtu?: number;
  mac?: string;
  promisc?: boolean;
  allmulti?: boolean;
}

export interface TuningSettings {
  sysctls: [key: string, value: string][];
  link: LinkSettings;
  dataDir: string;
}

function invalid(field: string, message: string, value: unknown): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${field}: ${message}`, JSON.stringify(value));
}

/**
 * A sysctl key tuning may write: under `net.`, segments of letters, digits,
 * `_` and `-` (dotted), or with `/` separators where a segment is an interface
 * name holding dots; never `.` or `..`, so no key leaves /proc/sys/net.
 * An interface-specific key must name the interface being tuned.
 */
function sysctlKey(key: string, ifName: string): string {
  const field = `sysctl[${JSON.stringify(key)}]`;
  const segments = key.includes("/") ? key.split("/") : key.split(".");
  if (segments[0] !== "net" || segments.length < 3) throw invalid(field, "only keys under net. can be set", key);
  for (const s of segments) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(s) || s === "." || s === "..") throw invalid(field, "not a sysctl key", key);
  }
  const conf = segments.indexOf("conf");
  const neigh = segments.indexOf("neigh");
  const device = conf === 2 ? segments[3] : neigh === 2 ? segments[3] : undefined;
  if (device !== undefined && device !== ifName && device !== "all" && device !== "default") {
    throw invalid(field, `names interface ${device}, but this attachment tunes ${ifName}`, key);
  }
  return segments.join("/");
}

export function settingsOf(args: TuningArgs): TuningSettings {
  const c = args.config;
  const dataDir = c.dataDir ?? DEFAULT_DATA_DIR;
  if (!isAbsolute(dataDir)) throw invalid("dataDir", "not an absolute path", dataDir);
  const sysctls = Object.entries(c.sysctl ?? {}).map(([key, value]): [string, string] => {
    if (!/^[\x20-\x7e]{0,256}$/.test(value)) throw invalid(`sysctl[${JSON.stringify(key)}]`, "value must be printable ASCII without newlines", value);
    return [sysctlKey(key, args.ifName), value];
  });
  const macText = c.runtimeConfig?.mac ?? c.mac;
  let mac: string | undefined;
  if (macText !== undefined) {
    try {
      mac = assertMac(macText);
    } catch {
      throw invalid(c.runtimeConfig?.mac !== undefined ? "runtimeConfig.mac" : "mac", "not a MAC address", macText);
    }
  }
  const link: LinkSettings = {
    ...(c.mtu !== undefined && { mtu: c.mtu }),
    ...(mac !== undefined && { mac }),
    ...(c.promisc !== undefined && { promisc: c.promisc }),
    ...(c.allmulti !== undefined && { allmulti: c.allmulti }),
  };
  return { sysctls, link, dataDir };
}
