import { type CheckResult, type Context, failureText, succeeded } from "../context.js";
import type { NamespaceSet } from "../namespaces.js";
import { RULES } from "../rules.js";
import { type KnownVersion, supportsCheck } from "../versions.js";
import { noteFailure } from "./expect.js";
import { readResult } from "./results.js";

/**
 * What a chained plugin can change that the checker can see without knowing the plugin: the
 * container interface's own attributes, the host namespace's links and qdiscs, and its
 * nftables rules. The checker snapshots these around an ADD, undoes what changed, and expects
 * CHECK to notice ("should return an error if ... traffic shaping controls, firewall rules,
 * hardware addresses ... are missing or in an invalid state").
 */
interface Snapshot {
  iface?: { mtu: number; address: string; promisc: boolean; allmulti: boolean };
  hostLinks: string[];
  /** Per host device: its qdiscs as "kind handle parent" strings. */
  qdiscs: Map<string, string[]>;
  /** nftables rules as "family table chain handle". */
  rules: string[];
}

async function optional<T>(f: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await f();
  } catch {
    return fallback;
  }
}

async function snapshot(ns: NamespaceSet, container: string, ifname: string): Promise<Snapshot> {
  const links = JSON.parse((await ns.execIn(container, ["ip", "-json", "link", "show"])) || "[]") as Array<{ ifname: string; mtu: number; address: string; flags: string[] }>;
  const mine = links.find((l) => l.ifname === ifname);
  const hostLinks = (await ns.links(ns.host)).map((l) => l.ifname);
  const rawQ = await optional(async () => JSON.parse((await ns.execIn(ns.host, ["tc", "-j", "qdisc", "show"])) || "[]") as Array<{ dev: string; kind: string; handle?: string; parent?: string; root?: boolean }>, []);
  const qdiscs = new Map<string, string[]>();
  for (const q of rawQ) {
    if (q.kind === "noqueue") continue;
    qdiscs.set(q.dev, [...(qdiscs.get(q.dev) ?? []), `${q.kind} ${q.handle ?? ""} ${q.root ? "root" : (q.parent ?? "")}`]);
  }
  const ruleset = await optional(async () => JSON.parse((await ns.execIn(ns.host, ["nft", "-j", "list", "ruleset"])) || "{}") as { nftables?: Array<{ rule?: { family: string; table: string; chain: string; handle: number } }> }, {});
  const rules = (ruleset.nftables ?? []).flatMap((e) => (e.rule ? [`${e.rule.family} ${e.rule.table} ${e.rule.chain} ${e.rule.handle}`] : []));
  return {
    ...(mine ? { iface: { mtu: mine.mtu, address: mine.address, promisc: mine.flags.includes("PROMISC"), allmulti: mine.flags.includes("ALLMULTI") } } : {}),
    hostLinks,
    qdiscs,
    rules,
  };
}

/** Undoes every difference between `before` and `after`; returns what it undid, in words. */
async function undo(ns: NamespaceSet, container: string, ifname: string, before: Snapshot, after: Snapshot, keep: Set<string>): Promise<string[]> {
  const done: string[] = [];
  const ipc = (args: string[]) => ns.execIn(container, ["ip", "link", "set", "dev", ifname, ...args]);
  const b = before.iface;
  const a = after.iface;
  if (a && b) {
    if (a.mtu !== b.mtu) (await ipc(["mtu", String(b.mtu)]), done.push(`${ifname} mtu set back to ${b.mtu}`));
    if (a.address !== b.address) (await ipc(["address", b.address]), done.push(`${ifname} address set back to ${b.address}`));
    if (a.promisc !== b.promisc) (await ipc(["promisc", b.promisc ? "on" : "off"]), done.push(`${ifname} promisc set back ${b.promisc ? "on" : "off"}`));
    if (a.allmulti !== b.allmulti) (await ipc(["allmulticast", b.allmulti ? "on" : "off"]), done.push(`${ifname} allmulticast set back ${b.allmulti ? "on" : "off"}`));
  }
  const newLinks = after.hostLinks.filter((l) => !before.hostLinks.includes(l) && !keep.has(l));
  for (const l of newLinks) {
    await ns.execIn(ns.host, ["ip", "link", "del", l]).catch(() => undefined);
    done.push(`host link ${l} deleted`);
  }
  for (const [dev, qs] of after.qdiscs) {
    if (newLinks.includes(dev) || JSON.stringify(qs) === JSON.stringify(before.qdiscs.get(dev) ?? [])) continue;
    for (const where of ["root", "ingress"]) await ns.execIn(ns.host, ["tc", "qdisc", "del", "dev", dev, where]).catch(() => undefined);
    done.push(`qdiscs of host link ${dev} deleted`);
  }
  const newRules = after.rules.filter((r) => !before.rules.includes(r));
  for (const r of newRules) {
    const [family = "", table = "", chain = "", handle = ""] = r.split(" ");
    await ns.execIn(ns.host, ["nft", "delete", "rule", family, table, chain, "handle", handle]).catch(() => undefined);
  }
  if (newRules.length) done.push(`${newRules.length} nftables rule(s) deleted`);
  return done;
}

/**
 * --chained --netns: ADD in a fresh attachment, CHECK (passes), undo what ADD changed, CHECK
 * again (must fail), then DEL and DEL again (must succeed with the plugin's work gone).
 */
export async function checkAfterTamper(ctx: Context, ns: NamespaceSet, v: KnownVersion): Promise<Omit<CheckResult, "id" | "rule">> {
  if (!supportsCheck(v)) return { status: "n/a", message: `config version ${v} has no CHECK` };
  const path = await ctx.sandbox();
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ifname = ctx.opts.ifname;
  const cid = ctx.newContainerId();
  const before = await snapshot(ns, name, ifname);
  const add = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, path, "ADD"), netns: path, containerId: cid });
  noteFailure(ctx, add, v);
  const read = succeeded(add.out) ? readResult(add, v) : undefined;
  const prev = read?.ok ? { prevResult: read.result.raw } : {};
  const del = async () => {
    const d = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(v, path, "DEL", prev), netns: path, containerId: cid });
    noteFailure(ctx, d, v);
    return d;
  };
  if (!read?.ok) {
    await del();
    return { status: "n/a", message: "ADD gave no valid result (see netns.add and result.*)" };
  }
  const after = await snapshot(ns, name, ifname);
  const check = () => ctx.exec({ command: "CHECK", stdin: ctx.attachmentConfig(v, path, "CHECK", prev), netns: path, containerId: cid });
  const first = await check();
  noteFailure(ctx, first, v);
  if (!succeeded(first.out)) {
    await del();
    return { status: "n/a", message: `CHECK fails even before anything is undone (see netns.check): ${failureText(first.out)}` };
  }
  const keep = new Set([...ctx.predecessors.values()].map((p) => p.hostIf));
  const undone = await undo(ns, name, ifname, before, after, keep);
  if (!undone.length) {
    await del();
    return { status: "n/a", message: "ADD changed nothing the checker can see (interface attributes, host links, qdiscs, nftables rules)" };
  }
  const second = await check();
  noteFailure(ctx, second, v);
  const del1 = await del();
  const del2 = await del();
  if (succeeded(second.out)) {
    return { status: "fail", message: `CHECK succeeded after the checker undid what ADD did (${undone.join("; ")})`, repro: ctx.repro(second) };
  }
  if (!succeeded(del1.out)) return { status: "fail", message: `DEL after the tamper ${failureText(del1.out)}`, repro: ctx.repro(del1) };
  if (!succeeded(del2.out)) return { status: "fail", message: `a second DEL after the tamper ${failureText(del2.out)}`, repro: ctx.repro(del2) };
  return { status: "pass", message: `after ${undone.join("; ")}: CHECK refused (${failureText(second.out)}); DEL and DEL again succeeded` };
}
