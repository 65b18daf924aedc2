import { delegateCheck } from "@tscni/invoke";
import { familyOf, netns, openNetns, verifyContainer } from "@tscni/netns";
import { requirePrevResult } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";
import type { PtpArgs } from "./config.js";

/** The host end must still hold each gateway; the container end is checked against prevResult. */
async function checkHostEnd(prev: Result): Promise<void> {
  const hostIf = (prev.interfaces ?? []).find((i) => i.sandbox === undefined || i.sandbox === "");
  if (!hostIf) throw new CniError(ErrorCode.Internal, "prevResult lists no host-side interface");
  const link = await netns().link(hostIf.name);
  if (!link) throw new CniError(ErrorCode.Internal, `host interface ${hostIf.name} is missing`);
  if (link.kind !== "veth") throw new CniError(ErrorCode.Internal, `host interface ${hostIf.name} is a ${link.kind ?? "link"}, not a veth`);
  const held = new Set(link.addresses.map((a) => a.address));
  for (const ip of prev.ips ?? []) {
    if (ip.gateway && !held.has(ip.gateway)) {
      throw new CniError(ErrorCode.Internal, `host interface ${hostIf.name} lost gateway ${ip.gateway}/${familyOf(ip.gateway) === 4 ? 32 : 128}`);
    }
  }
}

export async function check(args: PtpArgs): Promise<void> {
  const prev = requirePrevResult(args);
  await delegateCheck(args.config.ipam.type, args.stdin);
  const container = await openNetns(args.netns);
  const view = await container.snapshot();
  verifyContainer(view, prev, { ifName: args.ifName, sandbox: args.netns });
  const link = view.links.find((l) => l.name === args.ifName);
  if (link?.kind !== "veth") throw new CniError(ErrorCode.Internal, `${args.ifName} in ${args.netns} is a ${link?.kind ?? "link"}, not a veth`);
  await checkHostEnd(prev);
}
