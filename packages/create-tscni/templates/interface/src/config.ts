/**
 * The plugin's config keys: which IPAM plugin hands out the addresses (it gets
 * this whole config on stdin, as SPEC.md's delegation asks) and an optional MTU.
 * Built on first use, so a VERSION exec never pays for it.
 */
import type { CmdArgs } from "@tscni/skel";
import type { NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema): never on VERSION. */
export function configSchema() {
  return z.looseObject({
    ipam: z.looseObject({ type: z.string().check(z.minLength(1)) }),
    mtu: z.optional(z.int().check(z.gte(68), z.lte(65535))),
  });
}

export type Config = NetConf & z.infer<ReturnType<typeof configSchema>>;
export type Args = CmdArgs<Config>;
