import { delegateCheck } from "@tscni/invoke";
import { netns, openNetns, verifyContainer } from "@tscni/netns";
import { requirePrevResult } from "@tscni/skel";
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";
import { normalise } from "./config.js";
import type { BridgeArgs, BridgeSettings } from "./config.js";
import { attachmentOf, masqueradeRules, masqueradeTable } from "./masquerade.js";

function fail(msg: string, details?: string): never {
  throw new CniError(ErrorCode.Internal, msg, details);
}

/** The bridge exists and is a bridge; the host end of the pair is still its port, with the configured hairpin mode. */
async function checkHostSide(s: BridgeSettings, prev: Result): Promise<void> {
  const hostIf = (prev.interfaces ?? []).find((i) => i.name !== s.bridge && (i.sandbox === undefined || i.sandbox === ""));
  if (!hostIf) fail("prevResult lists no host-side veth");
  // Two small reads in parallel rather than every link of a node that may carry hundreds of ports.
  const host = netns();
  const [bridge, port] = await Promise.all([host.link(s.bridge), host.link(hostIf.name)]);
  if (!bridge) fail(`bridge ${s.bridge} is missing`);
  if (bridge.kind !== "bridge") fail(`${s.bridge} is a ${bridge.kind ?? "link"}, not a bridge`);
  if (!port) fail(`host interface ${hostIf.name} is missing`);
  if (port.master !== s.bridge) fail(`host interface ${hostIf.name} is not a port of ${s.bridge}`, `its master is ${port.master ?? "none"}`);
  if ((port.hairpin ?? false) !== s.hairpin) fail(`host interface ${hostIf.name} has hairpin ${port.hairpin ? "on" : "off"}, config says ${s.hairpin ? "on" : "off"}`);
}

export async function check(args: BridgeArgs): Promise<void> {
  const s = normalise(args.config);
  const prev = requirePrevResult(args);
  if (s.ipamType !== undefined) await delegateCheck(s.ipamType, args.stdin);
  const container = await openNetns(args.netns);
  const view = await container.snapshot();
  verifyContainer(view, prev, { ifName: args.ifName, sandbox: args.netns });
  const link = view.links.find((l) => l.name === args.ifName);
  if (link?.kind !== "veth") fail(`${args.ifName} in ${args.netns} is a ${link?.kind ?? "link"}, not a veth`);
  await checkHostSide(s, prev);
  if (s.ipMasq) {
    const problems = await masqueradeTable().verify(attachmentOf(args), masqueradeRules(prev.ips ?? []));
    if (problems.length > 0) fail(`masquerade rules of ${args.containerId}/${args.ifName} differ from the config`, problems.join("; "));
  }
}
