/** CHECK: every sysctl and link attribute still has the value the config asks for. */
import { openNetns } from "@tscni/netns";
import { requirePrevResult } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import { type TuningArgs, settingsOf } from "./config.js";
import { currentValues, tunedLink } from "./link.js";

export async function check(args: TuningArgs): Promise<void> {
  requirePrevResult(args);
  const settings = settingsOf(args);
  const ns = await openNetns(args.netns);
  const problems: string[] = [];
  for (const [key, value] of settings.sysctls) {
    const now = await ns.readSysctl(key);
    if (now !== value) problems.push(`sysctl ${key} is ${JSON.stringify(now)}, want ${JSON.stringify(value)}`);
  }
  const now = currentValues(await tunedLink(ns, args.ifName), settings.link);
  for (const [field, want] of Object.entries(settings.link)) {
    const got = now[field as keyof typeof now];
    if (got !== want) problems.push(`${field} of ${args.ifName} is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  if (problems.length > 0) throw new CniError(ErrorCode.Internal, `${args.ifName} in ${ns} is not tuned as configured`, problems.join("; "));
}
