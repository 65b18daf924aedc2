import { type CheckResult, type Context, type Run, failureText, succeeded } from "../context.js";
import { RULES } from "../rules.js";
import { isKnownVersion, supportsGcStatus } from "../versions.js";
import { noteFailure } from "./expect.js";
import type { Plan } from "./protocol.js";
import { readResult } from "./results.js";

/** How many attachments the checker adds at most while filling the range. */
export const FILL_LIMIT = 16;

interface Held {
  containerId: string;
  netns: string;
  addresses: string[];
}

const IDS = [
  ["ipam.distinct", RULES.ipamDistinct],
  ["ipam.del-releases", RULES.ipamRelease],
  ["ipam.del-unknown", RULES.ipamDelUnknown],
  ["ipam.gc", RULES.ipamGc],
] as const;
type IpamId = (typeof IDS)[number][0];

const bare = (cidr: string): string => cidr.split("/")[0] ?? cidr;

/**
 * --ipam: fills the configured range one container at a time (at most FILL_LIMIT), then checks
 * that the addresses differ, that a DEL frees one for the next container, that a DEL of an
 * unknown container succeeds, and that GC frees exactly what is not in the valid attachments.
 * The run's network name is its own, so nothing else's reservations are touched.
 */
export async function checkIpam(ctx: Context, plan: Plan): Promise<void> {
  const record = (id: IpamId, r: Omit<CheckResult, "id" | "rule">): void => ctx.record({ id, rule: IDS.find(([i]) => i === id)![1], ...r } as CheckResult);
  const v = plan.versions.filter(isKnownVersion).pop();
  if (!v) {
    for (const [id] of IDS) record(id, { status: "n/a", message: "no known spec version to test with" });
    return;
  }
  const held: Held[] = [];
  const add = async (): Promise<{ run: Run; held?: Held }> => {
    const netns = await ctx.probeNetns();
    const containerId = ctx.newContainerId();
    const run = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, netns, "ADD"), netns, containerId });
    noteFailure(ctx, run, v);
    if (!succeeded(run.out)) return { run };
    const read = readResult(run, v);
    const h = { containerId, netns, addresses: read.ok ? read.result.ips.map((i) => bare(i.address)) : [] };
    held.push(h);
    return { run, held: h };
  };
  const del = async (h: Held): Promise<Run> => {
    const run = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(v, h.netns, "DEL"), netns: h.netns, containerId: h.containerId });
    noteFailure(ctx, run, v);
    if (succeeded(run.out)) held.splice(held.indexOf(h), 1);
    return run;
  };

  try {
    let refused: Run | undefined;
    for (let i = 0; i < FILL_LIMIT && !refused; i++) {
      const r = await add();
      if (!r.held) refused = r.run;
    }
    const crashed = refused && (refused.out.timedOut || refused.out.signal !== null || refused.out.spawnError !== undefined);
    const full = refused !== undefined && !crashed && held.length > 0;

    // Distinct addresses.
    const all = held.flatMap((h) => h.addresses.map((a) => ({ a, h })));
    const dup = all.find((x, i) => all.findIndex((y) => y.a === x.a) !== i);
    if (crashed && refused) record("ipam.distinct", { status: "fail", message: `ADD ${failureText(refused.out)}`, repro: ctx.repro(refused) });
    else if (held.length === 0) record("ipam.distinct", { status: "n/a", message: `no ADD succeeded: ${refused ? failureText(refused.out) : ""}` });
    else if (dup) {
      const other = all.find((y) => y.a === dup.a)!.h;
      record("ipam.distinct", { status: "fail", message: `containers ${other.containerId} and ${dup.h.containerId} both got ${dup.a}` });
    } else if (held.length === 1) record("ipam.distinct", { status: "n/a", message: "the range holds one address: the second ADD was refused" });
    else record("ipam.distinct", { status: "pass", message: `${held.length} containers, ${all.length} distinct addresses` });

    // DEL releases: free one address of the full range, then a new container must get one.
    if (!full) {
      record("ipam.del-releases", {
        status: "n/a",
        message: held.length ? `the range was not full after ${FILL_LIMIT} ADDs: configure a smaller one to check release` : "no ADD succeeded",
      });
    } else {
      const d = await del(held[0]!);
      const again = await add();
      if (!succeeded(d.out)) record("ipam.del-releases", { status: "fail", message: `DEL ${failureText(d.out)}`, repro: ctx.repro(d) });
      else if (!again.held) record("ipam.del-releases", { status: "fail", message: `the range was full; after a DEL, a new ADD ${failureText(again.run.out)}`, repro: ctx.repro(again.run) });
      else record("ipam.del-releases", { status: "pass", message: `range full at ${held.length} containers; after a DEL a new ADD got ${again.held.addresses.join(", ")}` });
    }

    const nowhere = await ctx.probeNetns();
    const unknown = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(v, nowhere, "DEL"), netns: nowhere, containerId: ctx.newContainerId() });
    noteFailure(ctx, unknown, v);
    record(
      "ipam.del-unknown",
      succeeded(unknown.out)
        ? { status: "pass", message: "DEL of a container never added succeeded" }
        : { status: "fail", message: `DEL of a container never added ${failureText(unknown.out)}`, repro: ctx.repro(unknown) },
    );

    const gcV = plan.versions.filter(supportsGcStatus).pop();
    if (!gcV) record("ipam.gc", { status: "n/a", message: "the plugin claims no version with GC (1.1.0)" });
    else if (!full) record("ipam.gc", { status: "n/a", message: "the range could not be filled (see ipam.del-releases)" });
    else record("ipam.gc", await gcFreesStale(ctx, gcV, held, add));
  } finally {
    for (const h of [...held]) await del(h);
  }
}

/** With the range full: GC keeping all but the first attachment frees exactly one address. */
async function gcFreesStale(
  ctx: Context,
  v: string,
  held: Held[],
  add: () => Promise<{ run: Run; held?: Held }>,
): Promise<Omit<CheckResult, "id" | "rule">> {
  const [stale, ...valid] = held;
  if (!stale) return { status: "n/a", message: "nothing held" };
  const attachments = valid.map((h) => ({ containerID: h.containerId, ifname: ctx.opts.ifname }));
  const gc = await ctx.exec({ command: "GC", stdin: { kind: "text", text: ctx.config(v, { "cni.dev/valid-attachments": attachments, "cni.dev/attachments": attachments }) } });
  noteFailure(ctx, gc, v);
  if (!succeeded(gc.out)) return { status: "fail", message: `GC ${failureText(gc.out)}`, repro: ctx.repro(gc) };
  // The stale one is gone for good: forget it, so the cleanup does not count on it.
  held.splice(held.indexOf(stale), 1);
  const fresh = await add();
  if (!fresh.held) return { status: "fail", message: `after GC without ${stale.containerId} in the valid attachments, a new ADD ${failureText(fresh.run.out)}`, repro: ctx.repro(fresh.run) };
  const taken = new Set(valid.flatMap((h) => h.addresses));
  const clash = fresh.held.addresses.find((a) => taken.has(a));
  if (clash) return { status: "fail", message: `after GC a new ADD got ${clash}, still held by a valid attachment`, repro: ctx.repro(fresh.run) };
  const more = await add();
  if (more.held) return { status: "fail", message: `after GC the range had room for two more containers: GC released valid attachments too`, repro: ctx.repro(gc) };
  return { status: "pass", message: `GC released ${stale.addresses.join(", ")} of ${stale.containerId} and kept the ${valid.length} valid attachment(s)` };
}
