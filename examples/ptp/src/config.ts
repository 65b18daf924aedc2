/**
 * ptp's options. The schema checks shapes (built on first use, never on
 * VERSION). `ipMasq` needs NAT rules, which this example does not install:
 * asking for it is an unsupported-field error (code 2) rather than a silently
 * missing NAT.
 */
import type { CmdArgs } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { NetConf } from "@tscni/types";
import * as z from "zod/mini";

/** Built once, on the first config skel validates (plugin.ts wraps it in lazySchema). */
export function ptpConfigSchema() {
  return z.object({
    mtu: z.optional(z.int().check(z.gte(68), z.lte(65535))),
    ipMasq: z.optional(z.boolean()),
    ipam: z.looseObject({ type: z.string().check(z.minLength(1)) }),
  });
}

export type PtpConfig = z.infer<ReturnType<typeof ptpConfigSchema>>;
export type PtpArgs = CmdArgs<NetConf & PtpConfig>;

export function refuseUnsupported(config: PtpConfig): void {
  if (config.ipMasq) throw new CniError(ErrorCode.UnsupportedField, "unsupported field ipMasq: true", "this ptp example does not set up NAT; remove ipMasq or set it to false");
}
