import { isIP } from "node:net";
import { type CheckResult, type Context, type Run, failureText, succeeded } from "../context.js";
import type { ResultView } from "../documents.js";
import { type Link, type NamespaceSet, netnsPath } from "../namespaces.js";
import { RULES } from "../rules.js";
import { type KnownVersion, isKnownVersion, passesPrevResultOnDel, supportsCheck, supportsGcStatus } from "../versions.js";
import { noteFailure } from "./expect.js";
import type { Plan } from "./protocol.js";
import { readResult } from "./results.js";
import { checkAfterTamper } from "./tamper.js";

const IDS = [
  ["netns.add", RULES.nsAdd],
  ["netns.result-matches", RULES.nsMatches],
  ["netns.check", RULES.nsCheck],
  ["netns.add-existing-ifname", RULES.nsAddExisting],
  ["netns.del", RULES.nsDel],
  ["netns.del-cleans", RULES.nsDelCleans],
  ["netns.del-again", RULES.nsDelAgain],
  ["netns.readd-after-del", RULES.nsReadd],
  ["netns.del-netns-gone", RULES.nsNetnsGone],
  ["netns.gc-releases-stale", RULES.nsGc],
  ["chain.check-after-tamper", RULES.chainTamper],
] as const;
type LifecycleId = (typeof IDS)[number][0];

/** The full expansion of an address, so `fd00::1` and `fd00:0::1` compare equal. */
function canonicalIp(addr: string): string {
  if (isIP(addr) !== 6) return addr;
  const [head = "", tail = ""] = addr.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = addr.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = addr.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/** `dst` as (network, prefix) in canonical form; `ip route` prints host routes without a prefix. */
function canonicalPrefix(cidr: string): string {
  const [addr = "", len] = cidr.split("/");
  const prefix = len ?? (isIP(addr) === 6 ? "128" : "32");
  return `${canonicalIp(addr)}/${prefix}`;
}

/** Runs ADD, CHECK, DEL, DEL again... in throwaway namespaces and compares results with what `ip` sees. */
export async function checkLifecycle(ctx: Context, plan: Plan): Promise<void> {
  const ns = ctx.ns;
  const v = plan.versions.filter(isKnownVersion).pop();
  const done = new Set<string>();
  const record = (id: LifecycleId, r: Omit<CheckResult, "id" | "rule">): void => {
    done.add(id);
    ctx.record({ id, rule: IDS.find(([i]) => i === id)![1], ...r } as CheckResult);
  };
  const rest = (why: string): void => {
    for (const [id] of IDS) if (!done.has(id)) record(id, { status: "n/a", message: why });
  };
  if (!ns) return rest("run with --netns (as root) for the namespace checks");
  if (!v) return rest("no known spec version to test with");

  const path = await ctx.sandbox();
  const c1 = nameOf(path);
  const cid1 = ctx.newContainerId();
  const linksBefore = await ns.links(c1);
  const hostBefore = await ns.links(ns.host);
  const config = (verb: "ADD" | "CHECK" | "DEL", extra: Record<string, unknown> = {}) => ctx.attachmentConfig(v, path, verb, extra);

  const add = await ctx.exec({ command: "ADD", stdin: config("ADD"), netns: path, containerId: cid1 });
  noteFailure(ctx, add, v);
  if (!succeeded(add.out)) {
    record("netns.add", { status: "fail", message: `ADD ${failureText(add.out)}`, repro: ctx.repro(add) });
    await ctx.exec({ command: "DEL", stdin: config("DEL"), netns: path, containerId: cid1 });
    return rest("ADD failed");
  }
  record("netns.add", { status: "pass", message: `ADD in ${c1} succeeded` });
  const read = readResult(add, v);
  const result = read.ok ? read.result : undefined;
  const prev = result ? { prevResult: result.raw } : {};
  const linksAfter = await ns.links(c1);
  const hostAfter = await ns.links(ns.host);
  if (!read.ok) record("netns.result-matches", { status: "fail", message: read.reason, repro: ctx.repro(add) });
  else {
    const mismatches = await compareWithNamespace(ns, c1, path, read.result, linksAfter, hostAfter);
    record(
      "netns.result-matches",
      mismatches.length
        ? { status: "fail", message: mismatches.join("; "), repro: ctx.repro(add) }
        : { status: "pass", message: "interfaces, addresses and routes of the result are in place" },
    );
  }

  if (!supportsCheck(v)) record("netns.check", { status: "n/a", message: `config version ${v} has no CHECK` });
  else if (!result) record("netns.check", { status: "n/a", message: "no valid ADD result to pass as prevResult" });
  else {
    const check = await ctx.exec({ command: "CHECK", stdin: config("CHECK", prev), netns: path, containerId: cid1 });
    noteFailure(ctx, check, v);
    if (!succeeded(check.out)) record("netns.check", { status: "fail", message: `CHECK ${failureText(check.out)}`, repro: ctx.repro(check) });
    else if (check.out.stdout.trim()) record("netns.check", { status: "fail", message: `CHECK succeeded but printed ${check.out.stdout.trim().slice(0, 120)}`, repro: ctx.repro(check) });
    else record("netns.check", { status: "pass", message: "CHECK succeeded with nothing on stdout" });
  }

  // A second ADD for another container, same namespace and interface name: the name is taken.
  const existedBefore = linksBefore.some((l) => l.ifname === ctx.opts.ifname);
  const created = linksAfter.some((l) => l.ifname === ctx.opts.ifname);
  let cid2: string | undefined;
  if (existedBefore) record("netns.add-existing-ifname", { status: "n/a", message: `${ctx.opts.ifname} exists in every new namespace: the plugin configures it rather than creating it` });
  else if (!created) record("netns.add-existing-ifname", { status: "n/a", message: `ADD created no interface named ${ctx.opts.ifname}` });
  else {
    cid2 = ctx.newContainerId();
    const again = await ctx.exec({ command: "ADD", stdin: config("ADD"), netns: path, containerId: cid2 });
    noteFailure(ctx, again, v);
    record(
      "netns.add-existing-ifname",
      succeeded(again.out)
        ? { status: "fail", message: `a second ADD (container ${cid2}) with ${ctx.opts.ifname} already present succeeded`, repro: ctx.repro(again) }
        : { status: "pass", message: `refused: ${failureText(again.out)}` },
    );
  }

  const delConfig = config("DEL", passesPrevResultOnDel(v) ? prev : {});
  const del = await ctx.exec({ command: "DEL", stdin: delConfig, netns: path, containerId: cid1 });
  noteFailure(ctx, del, v);
  record("netns.del", succeeded(del.out) ? { status: "pass", message: "DEL succeeded" } : { status: "fail", message: `DEL ${failureText(del.out)}`, repro: ctx.repro(del) });

  const left = await leftovers(ns, c1, linksBefore, linksAfter, hostBefore, hostAfter, result);
  record(
    "netns.del-cleans",
    left.length
      ? { status: "fail", message: `after DEL still present: ${left.join(", ")}`, repro: ctx.repro(del) }
      : { status: "pass", message: "every interface ADD created is gone" },
  );

  const del2 = await ctx.exec({ command: "DEL", stdin: config("DEL"), netns: path, containerId: cid1 });
  noteFailure(ctx, del2, v);
  record("netns.del-again", succeeded(del2.out) ? { status: "pass", message: "a second DEL succeeded" } : { status: "fail", message: `second DEL ${failureText(del2.out)}`, repro: ctx.repro(del2) });
  if (cid2) await ctx.exec({ command: "DEL", stdin: config("DEL"), netns: path, containerId: cid2 });

  const readd = await ctx.exec({ command: "ADD", stdin: config("ADD"), netns: path, containerId: cid1 });
  noteFailure(ctx, readd, v);
  record(
    "netns.readd-after-del",
    succeeded(readd.out)
      ? { status: "pass", message: "ADD after DEL succeeded" }
      : { status: "fail", message: `ADD after DEL ${failureText(readd.out)} (something of the first ADD was not released)`, repro: ctx.repro(readd) },
  );
  await ctx.exec({ command: "DEL", stdin: delConfigFor(ctx, v, readd), netns: path, containerId: cid1 });

  record("netns.del-netns-gone", await netnsGone(ctx, ns, v));
  const gcV = plan.versions.filter((x): x is KnownVersion => isKnownVersion(x) && supportsGcStatus(x)).pop();
  if (!gcV) record("netns.gc-releases-stale", { status: "n/a", message: "the plugin claims no version with GC (1.1.0)" });
  else record("netns.gc-releases-stale", await gcReleasesStale(ctx, ns, gcV));
  if (!ctx.opts.chained) record("chain.check-after-tamper", { status: "n/a", message: "run with --chained for a plugin that runs after an interface plugin" });
  else record("chain.check-after-tamper", await checkAfterTamper(ctx, ns, v));
}

/** ADD, then GC with no valid attachment (the run's network is its own): a new ADD must find everything released. */
async function gcReleasesStale(ctx: Context, ns: NamespaceSet, v: KnownVersion): Promise<Omit<CheckResult, "id" | "rule">> {
  const stale = await ctx.sandbox();
  const cidStale = ctx.newContainerId();
  const add = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, stale, "ADD"), netns: stale, containerId: cidStale });
  noteFailure(ctx, add, v);
  if (!succeeded(add.out)) return { status: "n/a", message: `ADD ${failureText(add.out)}` };
  const gc = await ctx.exec({
    command: "GC",
    stdin: { kind: "text", text: ctx.config(v, { "cni.dev/valid-attachments": [], "cni.dev/attachments": [] }) },
  });
  noteFailure(ctx, gc, v);
  const fresh = await ctx.sandbox();
  const cidFresh = ctx.newContainerId();
  const again = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, fresh, "ADD"), netns: fresh, containerId: cidFresh });
  noteFailure(ctx, again, v);
  await ctx.exec({ command: "DEL", stdin: delConfigFor(ctx, v, again, fresh), netns: fresh, containerId: cidFresh });
  await ctx.exec({ command: "DEL", stdin: delConfigFor(ctx, v, add, stale), netns: stale, containerId: cidStale });
  if (!succeeded(gc.out)) return { status: "fail", message: `GC ${failureText(gc.out)}`, repro: ctx.repro(gc) };
  if (!succeeded(again.out)) {
    return { status: "fail", message: `after GC with no valid attachment, a new ADD ${failureText(again.out)} (the stale attachment's resources were kept)`, repro: ctx.repro(again) };
  }
  return { status: "pass", message: "GC released the stale attachment: a new ADD succeeded" };
}

/** DEL's stdin after `add`: its result as prevResult when it printed one (0.4.0 on), else what the chain had. */
function delConfigFor(ctx: Context, v: KnownVersion, add: Run, netns = add.inv.env.CNI_NETNS) {
  const read = succeeded(add.out) ? readResult(add, v) : undefined;
  const extra = read?.ok && passesPrevResultOnDel(v) ? { prevResult: read.result.raw } : {};
  return ctx.attachmentConfig(v, netns, "DEL", extra);
}

const nameOf = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

/** ADD, remove the namespace (the container died), DEL; then a new ADD must find IPAM released. */
async function netnsGone(ctx: Context, ns: NamespaceSet, v: KnownVersion): Promise<Omit<CheckResult, "id" | "rule">> {
  const path = await ctx.sandbox();
  const c2 = nameOf(path);
  const cid = ctx.newContainerId();
  const add = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, path, "ADD"), netns: path, containerId: cid });
  noteFailure(ctx, add, v);
  if (!succeeded(add.out)) return { status: "n/a", message: `ADD in a second namespace ${failureText(add.out)}` };
  await ns.remove(c2);
  const del = await ctx.exec({ command: "DEL", stdin: delConfigFor(ctx, v, add), netns: path, containerId: cid });
  noteFailure(ctx, del, v);
  if (!succeeded(del.out)) return { status: "fail", message: `DEL with CNI_NETNS=${path} gone ${failureText(del.out)}`, repro: ctx.repro(del) };
  const c3 = await ctx.sandbox();
  const again = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, c3, "ADD"), netns: c3, containerId: ctx.newContainerId() });
  noteFailure(ctx, again, v);
  await ctx.exec({ command: "DEL", stdin: delConfigFor(ctx, v, again), netns: c3, containerId: again.inv.env.CNI_CONTAINERID ?? "" });
  if (!succeeded(again.out)) {
    return { status: "fail", message: `DEL succeeded but a new ADD then ${failureText(again.out)} (IPAM not released?)`, repro: ctx.repro(again) };
  }
  return { status: "pass", message: "DEL with the namespace gone succeeded and released what ADD held" };
}

async function compareWithNamespace(
  ns: NamespaceSet,
  c: string,
  path: string,
  r: ResultView,
  links: Link[],
  hostLinks: Link[],
): Promise<string[]> {
  const out: string[] = [];
  r.interfaces.forEach((iface, i) => {
    const where = iface.sandbox === path ? links : !iface.sandbox ? hostLinks : undefined;
    if (!where) return;
    const found = where.find((l) => l.ifname === iface.name);
    const place = iface.sandbox ? "the container namespace" : "the host namespace";
    if (!found) out.push(`interfaces[${i}] ${iface.name} is not in ${place}`);
    else if (iface.mac && found.address && iface.mac.toLowerCase() !== found.address.toLowerCase()) {
      out.push(`interfaces[${i}] ${iface.name} has mac ${found.address}, the result says ${iface.mac}`);
    }
  });
  const addrs = await ns.addresses(c);
  r.ips.forEach((entry, i) => {
    const iface = entry.interface !== undefined && entry.interface >= 0 ? r.interfaces[entry.interface] : undefined;
    if (!iface || iface.sandbox !== path) return;
    const [addr = "", len = ""] = entry.address.split("/");
    const ok = addrs.some((a) => a.ifname === iface.name && canonicalIp(a.local) === canonicalIp(addr) && String(a.prefixlen) === len);
    if (!ok) out.push(`ips[${i}] ${entry.address} is not on ${iface.name} in the container namespace`);
  });
  // An IPAM result (no interface in the sandbox) describes what its caller should configure, not what exists.
  if (!r.interfaces.some((i) => i.sandbox === path)) return out;
  const routes = await ns.routes(c);
  r.routes.forEach((route, i) => {
    const ok = routes.some(
      (k) => canonicalPrefix(k.dst) === canonicalPrefix(route.dst) && (!route.gw || (k.gateway !== undefined && canonicalIp(k.gateway) === canonicalIp(route.gw))),
    );
    if (!ok) out.push(`routes[${i}] ${route.dst}${route.gw ? ` via ${route.gw}` : ""} is not in the container namespace`);
  });
  return out;
}

/** Interfaces ADD created that DEL left: in the container namespace, and host-side ones named in the result. */
async function leftovers(
  ns: NamespaceSet,
  c: string,
  before: Link[],
  after: Link[],
  hostBefore: Link[],
  hostAfter: Link[],
  result: ResultView | undefined,
): Promise<string[]> {
  const now = new Set((await ns.links(c)).map((l) => l.ifname));
  const hostNow = new Set((await ns.links(ns.host)).map((l) => l.ifname));
  const createdInside = after.filter((l) => !before.some((b) => b.ifname === l.ifname));
  const hostNamed = new Set((result?.interfaces ?? []).filter((i) => !i.sandbox).map((i) => i.name));
  // A bridge is shared by every attachment of the network; DEL of one attachment keeps it.
  const createdOnHost = hostAfter.filter((l) => !hostBefore.some((b) => b.ifname === l.ifname) && hostNamed.has(l.ifname) && l.kind !== "bridge");
  return [
    ...createdInside.filter((l) => now.has(l.ifname)).map((l) => `${l.ifname} (container)`),
    ...createdOnHost.filter((l) => hostNow.has(l.ifname)).map((l) => `${l.ifname} (host)`),
  ];
}
