/**
 * The `ipam` section this plugin reads: one subnet, an optional gateway and
 * where reservations are kept. The schema (built on first use) checks shapes;
 * `openNetwork` checks values and names the field in its error.
 */
import { isAbsolute } from "node:path";
import { DiskStore, type Range, parseRange } from "@tscni/ipam";
import { CniError, type CmdArgs, ErrorCode } from "@tscni/skel";
import type { NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema): never on VERSION. */
export function configSchema() {
  return z.looseObject({
    ipam: z.looseObject({
      subnet: z.string(),
      gateway: z.optional(z.string()),
      /** Where reservations live, one directory per network name. */
      dataDir: z.optional(z.string()),
    }),
  });
}

export type Config = NetConf & z.infer<ReturnType<typeof configSchema>>;
export type Args = CmdArgs<Config>;

export const DEFAULT_DATA_DIR = "/var/lib/cni/__NAME__";

/** The store of this network's reservations. */
export function openStore(config: Config): DiskStore {
  const dataDir = config.ipam.dataDir ?? DEFAULT_DATA_DIR;
  if (!isAbsolute(dataDir)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `ipam.dataDir: "${dataDir}" is not an absolute path`);
  }
  return new DiskStore({ dataDir, network: config.name });
}

/** The subnet as a range (code 7 naming ipam.subnet or ipam.gateway when they are wrong). */
export function rangeOf(config: Config): Range {
  return parseRange({ subnet: config.ipam.subnet, gateway: config.ipam.gateway }, "ipam");
}
