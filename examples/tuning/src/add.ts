/**
 * ADD: remembers the interface's values, then sets the sysctls and the link
 * attributes in the container's namespace. prevResult passes through, with
 * the interface's new MAC when tuning set one.
 */
import { openNetns } from "@tscni/netns";
import { requirePrevResult } from "@tscni/skel";
import type { ResultInput } from "@tscni/skel";
import { saveOriginals } from "./backup.js";
import { type TuningArgs, settingsOf } from "./config.js";
import { currentValues, tunedLink } from "./link.js";

export async function add(args: TuningArgs): Promise<ResultInput> {
  const prev = requirePrevResult(args);
  const settings = settingsOf(args);
  const ns = await openNetns(args.netns);
  const link = await tunedLink(ns, args.ifName);
  // Saved before anything changes, so a DEL after a crash mid-ADD still restores.
  saveOriginals(args, settings.dataDir, currentValues(link, settings.link));
  for (const [key, value] of settings.sysctls) await ns.sysctl(key, value);
  if (Object.keys(settings.link).length > 0) await ns.setLink(args.ifName, settings.link);
  const mac = settings.link.mac;
  if (mac === undefined) return prev;
  return {
    ...prev,
    interfaces: (prev.interfaces ?? []).map((i) => (i.name === args.ifName && i.sandbox ? { ...i, mac } : i)),
  };
}
