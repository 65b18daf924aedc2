/**
 * The tc side of bandwidth, in the host's namespace (where the plugin runs):
 * traffic into the container is shaped by a tbf qdisc at the root of the
 * host-side veth; traffic out of it arrives on that veth's ingress, which a
 * u32 filter redirects to an ifb device whose root tbf shapes it. The ifb's
 * name is derived from the attachment, so DEL finds it without prevResult.
 */
import { createHash } from "node:crypto";
import { netns, openNetns } from "@tscni/netns";
import { findTool, spawnRunner } from "@tscni/netns/exec";
import { CniError, ErrorCode } from "@tscni/types";
import type { BandwidthArgs, Limit, Limits } from "./config.js";

/** How long a packet may wait in the bucket; with the rate it gives tbf's queue length. */
const LATENCY = "25ms";

export function ifbName(args: BandwidthArgs): string {
  return `bw${createHash("sha256").update(`${args.containerId}\0${args.ifName}`).digest("hex").slice(0, 13)}`;
}

async function run(tool: "tc" | "ip", words: string[], allowFailure = false): Promise<string> {
  const r = await spawnRunner([findTool(tool), ...words]);
  if (r.status !== 0 && !allowFailure) {
    throw new CniError(ErrorCode.Internal, `${tool} ${words.join(" ")} failed`, r.stderr.trim() || `exit status ${r.status}`);
  }
  return r.stdout;
}

/** The host end of the container's veth: the link whose index the container's interface names as its peer. */
export async function hostVeth(args: BandwidthArgs): Promise<string> {
  const ctr = await (await openNetns(args.netns)).link(args.ifName);
  if (!ctr) throw new CniError(ErrorCode.InvalidEnvironment, `no interface ${args.ifName} in ${args.netns}`);
  if (ctr.peerIndex === undefined) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${args.ifName} in ${args.netns} is not a veth`, "bandwidth shapes the host end of a veth pair (bridge, ptp)");
  }
  const host = (await netns().links()).find((l) => l.index === ctr.peerIndex);
  if (!host) throw new CniError(ErrorCode.Internal, `the peer of ${args.ifName} (index ${ctr.peerIndex}) is not in this namespace`);
  return host.name;
}

function tbf(limit: Limit): string[] {
  return ["tbf", "rate", `${limit.rate}bit`, "burst", `${Math.ceil(limit.burst / 8)}b`, "latency", LATENCY];
}

export async function shape(dev: string, ifb: string, limits: Limits): Promise<void> {
  if (limits.ingress) await run("tc", ["qdisc", "replace", "dev", dev, "root", ...tbf(limits.ingress)]);
  if (!limits.egress) return;
  await run("ip", ["link", "add", ifb, "type", "ifb"], true);
  await run("ip", ["link", "set", ifb, "up"]);
  await run("tc", ["qdisc", "replace", "dev", dev, "handle", "ffff:", "ingress"]);
  await run("tc", ["filter", "replace", "dev", dev, "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb]);
  await run("tc", ["qdisc", "replace", "dev", ifb, "root", ...tbf(limits.egress)]);
}

/** Removes the ifb device (its qdisc goes with it); the veth's qdiscs go with the veth. Nothing there is success. */
export async function unshape(ifb: string): Promise<void> {
  const r = await spawnRunner([findTool("ip"), "link", "del", ifb]);
  if (r.status !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) {
    throw new CniError(ErrorCode.Internal, `ip link del ${ifb} failed`, r.stderr.trim());
  }
}

interface QdiscJson {
  kind: string;
  root?: boolean;
  options?: { rate?: number };
}

async function rootRate(dev: string): Promise<number | undefined> {
  const qdiscs = JSON.parse((await run("tc", ["-j", "qdisc", "show", "dev", dev], true)) || "[]") as QdiscJson[];
  const root = qdiscs.find((q) => q.root && q.kind === "tbf");
  // tc -j reports tbf's rate in bytes per second.
  return root?.options?.rate === undefined ? undefined : root.options.rate * 8;
}

export async function shapingProblems(dev: string, ifb: string, limits: Limits): Promise<string[]> {
  const problems: string[] = [];
  const expect = async (what: string, device: string, limit: Limit | undefined) => {
    const rate = await rootRate(device);
    if (limit && rate !== limit.rate) problems.push(`${what} on ${device}: rate ${rate ?? "none"}, want ${limit.rate} bit/s`);
    if (!limit && rate !== undefined) problems.push(`${what} on ${device}: limited to ${rate} bit/s, want no limit`);
  };
  await expect("ingress", dev, limits.ingress);
  if (limits.egress) await expect("egress", ifb, limits.egress);
  return problems;
}
