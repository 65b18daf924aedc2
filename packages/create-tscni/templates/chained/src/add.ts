/** ADD: sets the MTU of the interface an earlier plugin made, then passes prevResult on with that MTU. */
import { openNetns } from "@tscni/netns";
import { CniError, ErrorCode, requirePrevResult, type ResultInput } from "@tscni/skel";
import type { Args } from "./config.js";

export async function add(args: Args): Promise<ResultInput> {
  const prev = requirePrevResult(args);
  const ns = await openNetns(args.netns);
  if (!(await ns.link(args.ifName))) {
    throw new CniError(ErrorCode.InvalidEnvironment, `no interface ${args.ifName} in ${args.netns}`, "put this plugin after one that creates the interface");
  }
  await ns.setLink(args.ifName, { mtu: args.config.mtu });
  return {
    ...prev,
    interfaces: (prev.interfaces ?? []).map((i) => (i.name === args.ifName && i.sandbox ? { ...i, mtu: args.config.mtu } : i)),
  };
}
