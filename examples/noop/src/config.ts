/**
 * The noop plugin's script, read from its network config. Built on first use,
 * like every schema a plugin carries: a VERSION exec never pays for it.
 */
import type { CmdArgs } from "@tscni/skel";
import type { NetConf } from "@tscni/types";
import * as z from "zod/mini";

export const SCRIPTED_VERBS = ["ADD", "DEL", "CHECK", "GC", "STATUS"] as const;
export type ScriptedVerb = (typeof SCRIPTED_VERBS)[number];

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function noopConfigSchema() {
  const verb = z.enum(SCRIPTED_VERBS);
  const errorObject = z.object({
    code: z.int().check(z.nonnegative()),
    msg: z.string(),
    details: z.optional(z.string()),
  });
  return z.object({
    /** ADD returns this result (any spec version's shape; without cniVersion it is the 1.1.0 model). */
    result: z.optional(z.record(z.string(), z.unknown())),
    /** ADD returns prevResult (converted to the config's version by skel). Wins over `result`. */
    passthrough: z.optional(z.boolean()),
    /** These verbs fail with this CNI error. */
    fail: z.optional(z.partialRecord(verb, errorObject)),
    /** These verbs throw a plain Error with this message (skel reports code 999). */
    throw: z.optional(z.partialRecord(verb, z.string())),
    /** Written with console.log inside every handler: it must reach stderr, never stdout. */
    stdoutText: z.optional(z.string()),
    /** Each call appends one JSON line {verb, env, stdin} to this file. */
    recordFile: z.optional(z.string()),
  });
}

export type NoopConfig = z.infer<ReturnType<typeof noopConfigSchema>>;
export type NoopArgs = CmdArgs<NetConf & NoopConfig>;
