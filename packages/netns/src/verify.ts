/**
 * CHECK support: compares what a previous result claims about the container
 * with what the kernel shows, and reports every difference at once.
 */
import { CniError, ErrorCode } from "@tscni/types";
import type { Result } from "@tscni/types";
import { canonicalCidr, canonicalIp, canonicalNetwork } from "./addr.js";
import type { Link, RouteEntry } from "./ip-json.js";

export interface ContainerView {
  links: Link[];
  routes: RouteEntry[];
}

export interface VerifyOptions {
  /** CNI_IFNAME: the interface this plugin made. */
  ifName: string;
  /** CNI_NETNS: the `sandbox` the result gives that interface. */
  sandbox: string;
  /** Check the result's routes too (default true); a plugin whose routes later plugins may replace can turn it off. */
  routes?: boolean;
}

/** The problems found, each a sentence naming the object and both values; [] when everything matches. */
export function containerProblems(view: ContainerView, result: Result, o: VerifyOptions): string[] {
  const problems: string[] = [];
  const index = (result.interfaces ?? []).findIndex((i) => i.name === o.ifName && i.sandbox === o.sandbox);
  if (index < 0) return [`prevResult lists no interface ${o.ifName} with sandbox ${o.sandbox}`];
  const expected = result.interfaces?.[index];
  const link = view.links.find((l) => l.name === o.ifName);
  if (!link) return [`interface ${o.ifName} is missing from ${o.sandbox}`];
  if (expected?.mac !== undefined && link.mac?.toLowerCase() !== expected.mac.toLowerCase()) {
    problems.push(`interface ${o.ifName} has MAC ${link.mac ?? "none"}, prevResult says ${expected.mac}`);
  }
  if (expected?.mtu !== undefined && expected.mtu !== 0 && link.mtu !== expected.mtu) {
    problems.push(`interface ${o.ifName} has MTU ${link.mtu}, prevResult says ${expected.mtu}`);
  }
  if (!link.up) problems.push(`interface ${o.ifName} is down`);

  const present = new Set(link.addresses.map((a) => canonicalCidr(a.cidr)));
  for (const ip of result.ips ?? []) {
    if (ip.interface !== index) continue;
    if (!present.has(canonicalCidr(ip.address))) problems.push(`address ${ip.address} is missing from ${o.ifName}`);
  }

  if (o.routes !== false) {
    for (const route of result.routes ?? []) {
      const dst = canonicalNetwork(route.dst);
      const table = route.table ?? 254;
      const found = view.routes.some(
        (r) =>
          canonicalNetwork(r.dst) === dst &&
          r.table === table &&
          (route.gw === undefined || (r.gw !== undefined && canonicalIp(r.gw) === canonicalIp(route.gw))) &&
          (route.priority === undefined || r.metric === route.priority),
      );
      if (!found) problems.push(`route to ${route.dst}${route.gw ? ` via ${route.gw}` : ""} is missing from table ${table}`);
    }
  }
  return problems;
}

/** Throws one CniError listing every difference (code 999: the spec has no code for a broken attachment). */
export function verifyContainer(view: ContainerView, result: Result, o: VerifyOptions): void {
  const problems = containerProblems(view, result, o);
  if (problems.length > 0) {
    throw new CniError(ErrorCode.Internal, `container network does not match prevResult: ${problems[0]}`, problems.join("; "));
  }
}
