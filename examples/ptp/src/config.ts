/**
 * ptp's options, validated once; handlers see only normalised values.
 * `ipMasq` needs iptables, which this example does not drive: asking for it
 * is an unsupported-field error (code 2) rather than a silently missing NAT.
 */
import * as z from "zod/mini";

function buildSchema() {
  return z.object({
    mtu: z.optional(z.int().check(z.gte(68), z.lte(65535))),
    ipMasq: z.optional(z.boolean()),
    ipam: z.looseObject({ type: z.string().check(z.minLength(1)) }),
  });
}

let schema: ReturnType<typeof buildSchema> | undefined;
export function ptpConfigSchema(): ReturnType<typeof buildSchema> {
  return (schema ??= buildSchema());
}

export type PtpConfig = z.infer<ReturnType<typeof buildSchema>>;
