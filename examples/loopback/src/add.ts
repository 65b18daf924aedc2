import { openNetns, parseLinks } from "@tscni/netns";
import type { Address, NetNs } from "@tscni/netns";
import type { CmdArgs, ResultInput } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";
import { LOOPBACK, requireLoopbackName } from "./config.js";

/** Brings lo up and reads its addresses back in the same `ip` process. */
async function bringUp(ns: NetNs): Promise<Address[]> {
  const [shown] = await ns.batchJson([
    ["link", "set", "dev", LOOPBACK, "up"],
    ["addr", "show", "dev", LOOPBACK],
  ]);
  const lo = parseLinks(shown ?? "[]")[0];
  if (!lo) throw new CniError(ErrorCode.Internal, `no ${LOOPBACK} in ${ns}`);
  return lo.addresses;
}

/** The kernel puts 127.0.0.1/8 and ::1/128 on lo when it comes up; anything else there is not ours to report. */
function loopbackResult(netns: string, addresses: Address[]): Omit<Result, "cniVersion"> {
  const first = (family: 4 | 6) => addresses.find((a) => a.family === family && a.scope === "host");
  const ips = [first(4), first(6)].flatMap((a) => (a ? [{ interface: 0, address: a.cidr }] : []));
  return {
    interfaces: [{ name: LOOPBACK, mac: "00:00:00:00:00:00", sandbox: netns }],
    ...(ips.length > 0 && { ips }),
  };
}

export async function add(args: CmdArgs): Promise<ResultInput> {
  requireLoopbackName(args);
  const ns = await openNetns(args.netns);
  const addresses = await bringUp(ns);
  // Chained after another plugin, loopback passes the previous result through untouched.
  return args.prevResult ?? loopbackResult(args.netns, addresses);
}
