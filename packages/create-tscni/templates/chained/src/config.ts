/**
 * The plugin's own config keys. The schema is built on first use, so a
 * VERSION exec never pays for it; loose, so keys meant for other plugins of
 * the list (and prevResult, runtimeConfig) pass through.
 */
import type { CmdArgs } from "@tscni/skel";
import type { NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema): never on VERSION. */
export function configSchema() {
  return z.looseObject({
    /** The MTU to set on the container interface (68 is IPv4's minimum). */
    mtu: z.int().check(z.gte(68), z.lte(65535)),
  });
}

export type Config = NetConf & z.infer<ReturnType<typeof configSchema>>;
export type Args = CmdArgs<Config>;
