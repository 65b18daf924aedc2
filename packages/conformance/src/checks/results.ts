import { type CheckResult, type Context, type Run, describeEnd, errorText, failureText, readError, succeeded } from "../context.js";
import { type ResultInterface, type ResultIp, type ResultView, excerpt, parseSingleDocument, validateResult } from "../documents.js";
import { RULES } from "../rules.js";
import { type KnownVersion, isKnownVersion, passesPrevResultOnDel, supportsChaining, supportsCheck, supportsGcStatus } from "../versions.js";
import { noteFailure } from "./expect.js";
import type { Plan } from "./protocol.js";
import { syntheticPrevResult } from "./synthetic.js";

/** Reads an ADD's stdout as a result of `version`; the reason names the first thing wrong. */
export function readResult(run: Run, version: KnownVersion): { ok: true; result: ResultView } | { ok: false; reason: string } {
  const doc = parseSingleDocument(run.out.stdout);
  if (!doc.ok) return { ok: false, reason: doc.reason };
  const res = validateResult(doc.value, version);
  if (!res.ok) return { ok: false, reason: `not a valid ${version} result: ${res.reason}` };
  if (res.value.cniVersion !== version) return { ok: false, reason: `cniVersion is ${JSON.stringify(res.value.cniVersion)}, the config's is ${version}` };
  return { ok: true, result: res.value };
}

/** Stdout of a successful DEL: nothing, or (tolerated: runtimes ignore it) one JSON document. */
function delStdoutProblem(stdout: string): string | undefined {
  if (stdout.trim() === "") return undefined;
  const doc = parseSingleDocument(stdout);
  return doc.ok ? undefined : doc.reason;
}

interface Tally {
  dels: Run[];
  delFailures: Run[];
  checks: Run[];
  checkFailures: Run[];
}

/** ADD in every version under test, with CHECK and DEL after each successful ADD. */
export async function checkResults(ctx: Context, plan: Plan): Promise<ResultView | undefined> {
  const tally: Tally = { dels: [], delFailures: [], checks: [], checkFailures: [] };
  let newestResult: ResultView | undefined;
  let newestRun: Run | undefined;
  let last: { v: KnownVersion; netns: string; containerId: string } | undefined;
  for (const v of plan.versions.filter(isKnownVersion)) {
    const id = `result.${v}`;
    const rule = RULES.result(v);
    if (ctx.opts.chained && !supportsChaining(v)) {
      ctx.record({ id, status: "n/a", rule, message: `a chained plugin gets a prevResult from spec 0.3.0 on (${v} has no chains)` });
      continue;
    }
    const netns = await ctx.sandbox();
    const containerId = ctx.newContainerId();
    last = { v, netns, containerId };
    const add = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, netns, "ADD"), netns, containerId });
    noteFailure(ctx, add, v);
    if (!succeeded(add.out)) {
      // A hang or a crash is never explained by the missing namespace.
      const broken = add.out.timedOut || add.out.spawnError !== undefined || add.out.signal !== null;
      if (!ctx.ns && !broken) ctx.record({ id, status: "n/a", rule, message: `ADD ${failureText(add.out)}; without --netns there is no namespace to add to` });
      else ctx.record({ id, status: "fail", rule, message: `ADD ${failureText(add.out)}`, repro: ctx.repro(add) });
      await settle(ctx, tally, v, netns, containerId, undefined);
      continue;
    }
    const read = readResult(add, v);
    if (read.ok) {
      ctx.record({ id, status: "pass", rule, message: summarise(read.result) });
      newestResult = read.result;
      newestRun = add;
    } else {
      ctx.record({ id, status: "fail", rule, message: read.reason, repro: ctx.repro(add) });
    }
    await settle(ctx, tally, v, netns, containerId, read.ok ? (read.result.raw as Record<string, unknown>) : undefined, true);
  }
  await checkRepeatedDel(ctx, last);
  recordTally(ctx, tally);
  recordIfname(ctx, newestResult, newestRun);
  await checkKubernetesArgs(ctx, plan, newestRun !== undefined);
  return newestResult;
}

/**
 * The attachment of the newest version was just deleted: a second DEL of the same container ID
 * must succeed too. Needs no namespace: the rule is about the plugin's own state.
 */
async function checkRepeatedDel(ctx: Context, last: { v: KnownVersion; netns: string; containerId: string } | undefined): Promise<void> {
  const id = "del.repeated";
  const rule = RULES.nsDelAgain;
  if (!last) {
    ctx.record({ id, status: "n/a", rule, message: "no version to test with" });
    return;
  }
  const del = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(last.v, last.netns, "DEL"), netns: last.netns, containerId: last.containerId });
  noteFailure(ctx, del, last.v);
  ctx.record(
    succeeded(del.out)
      ? { id, status: "pass", rule, message: `a second DEL of ${last.containerId} succeeded` }
      : { id, status: "fail", rule, message: `a second DEL of ${last.containerId} ${failureText(del.out)}`, repro: ctx.repro(del) },
  );
}

/** What kubelet's runtimes (containerd, CRI-O) put in CNI_ARGS for every pod. */
export const KUBERNETES_CNI_ARGS =
  "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=conformance;K8S_POD_INFRA_CONTAINER_ID=0123456789abcdef;K8S_POD_UID=00000000-0000-0000-0000-000000000001";

/** ADD with the CNI_ARGS a Kubernetes node sends must succeed wherever ADD without them does. */
async function checkKubernetesArgs(ctx: Context, plan: Plan, baselineAdded: boolean): Promise<void> {
  const id = "env.cni-args.kubernetes";
  const rule = RULES.kubernetesArgs;
  const v = plan.versions.filter(isKnownVersion).pop();
  if (!v || !baselineAdded) {
    ctx.record({ id, status: "n/a", rule, message: "no ADD without CNI_ARGS succeeded to compare with" });
    return;
  }
  const netns = await ctx.sandbox();
  const containerId = ctx.newContainerId();
  const env = { CNI_ARGS: KUBERNETES_CNI_ARGS };
  const add = await ctx.exec({ command: "ADD", stdin: ctx.attachmentConfig(v, netns, "ADD"), netns, containerId, env });
  noteFailure(ctx, add, v);
  const read = succeeded(add.out) ? readResult(add, v) : undefined;
  const prev = read?.ok && passesPrevResultOnDel(v) ? { prevResult: read.result.raw } : {};
  const del = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(v, netns, "DEL", prev), netns, containerId, env });
  noteFailure(ctx, del, v);
  if (!succeeded(add.out)) ctx.record({ id, status: "fail", rule, message: `ADD with Kubernetes CNI_ARGS ${failureText(add.out)}`, repro: ctx.repro(add) });
  else if (!succeeded(del.out)) ctx.record({ id, status: "fail", rule, message: `DEL with Kubernetes CNI_ARGS ${failureText(del.out)}`, repro: ctx.repro(del) });
  else ctx.record({ id, status: "pass", rule, message: "ADD and DEL with K8S_POD_* CNI_ARGS succeeded" });
}

/** CHECK (when the version has it) then DEL, as a runtime would after an ADD. */
async function settle(
  ctx: Context,
  tally: Tally,
  v: string,
  netns: string,
  containerId: string,
  prevResult: Record<string, unknown> | undefined,
  added = false,
): Promise<void> {
  if (added && prevResult && supportsCheck(v)) {
    const check = await ctx.exec({ command: "CHECK", stdin: { kind: "text", text: ctx.config(v, { prevResult }) }, netns, containerId });
    noteFailure(ctx, check, v);
    (succeeded(check.out) ? tally.checks : tally.checkFailures).push(check);
  }
  const withPrev = prevResult && passesPrevResultOnDel(v) ? { prevResult } : {};
  const del = await ctx.exec({ command: "DEL", stdin: ctx.attachmentConfig(v, netns, "DEL", withPrev), netns, containerId });
  noteFailure(ctx, del, v);
  if (added) (succeeded(del.out) ? tally.dels : tally.delFailures).push(del);
}

function recordTally(ctx: Context, t: Tally): void {
  const first = <T>(xs: T[]): T | undefined => xs[0];
  const delFail = first(t.delFailures);
  if (delFail) ctx.record({ id: "del.after-add", status: "fail", rule: RULES.nsDel, message: `DEL after a successful ADD ${failureText(delFail.out)}`, repro: ctx.repro(delFail) });
  else if (t.dels.length) ctx.record({ id: "del.after-add", status: "pass", rule: RULES.nsDel, message: `${t.dels.length} DEL(s) after ADD succeeded` });
  else ctx.record({ id: "del.after-add", status: "n/a", rule: RULES.nsDel, message: "no ADD succeeded" });

  const noisyDel = t.dels.find((r) => delStdoutProblem(r.out.stdout));
  if (noisyDel) ctx.record({ id: "stdout.del", status: "fail", rule: RULES.delStdout, message: `DEL succeeded but ${delStdoutProblem(noisyDel.out.stdout)}`, repro: ctx.repro(noisyDel) });
  else if (t.dels.length) {
    const printed = t.dels.some((r) => r.out.stdout.trim() !== "");
    ctx.record({ id: "stdout.del", status: "pass", rule: RULES.delStdout, message: printed ? "DEL printed a JSON document (runtimes ignore DEL output)" : "nothing on stdout" });
  } else ctx.record({ id: "stdout.del", status: "n/a", rule: RULES.delStdout, message: "no DEL succeeded" });

  const checkFail = first(t.checkFailures);
  if (checkFail) ctx.record({ id: "check.after-add", status: "fail", rule: RULES.nsCheck, message: `CHECK right after ADD ${failureText(checkFail.out)}`, repro: ctx.repro(checkFail) });
  else if (t.checks.length) ctx.record({ id: "check.after-add", status: "pass", rule: RULES.nsCheck, message: `${t.checks.length} CHECK(s) after ADD succeeded` });
  else ctx.record({ id: "check.after-add", status: "n/a", rule: RULES.nsCheck, message: "no ADD succeeded with a version that has CHECK" });

  const noisyCheck = t.checks.find((r) => r.out.stdout.trim() !== "");
  if (noisyCheck) ctx.record({ id: "stdout.check", status: "fail", rule: RULES.checkStdout, message: `CHECK succeeded but printed ${excerpt(noisyCheck.out.stdout)}`, repro: ctx.repro(noisyCheck) });
  else if (t.checks.length) ctx.record({ id: "stdout.check", status: "pass", rule: RULES.checkStdout, message: "nothing on stdout" });
  else ctx.record({ id: "stdout.check", status: "n/a", rule: RULES.checkStdout, message: "no CHECK succeeded" });
}

function recordIfname(ctx: Context, result: ResultView | undefined, run: Run | undefined): void {
  const inSandbox = (result?.interfaces ?? []).filter((i) => i.sandbox);
  if (!inSandbox.length) {
    ctx.record({ id: "result.ifname", status: "n/a", rule: RULES.resultIfname, message: "no result lists an interface inside a sandbox" });
  } else if (inSandbox.some((i) => i.name === ctx.opts.ifname)) {
    ctx.record({ id: "result.ifname", status: "pass", rule: RULES.resultIfname, message: `the result names ${ctx.opts.ifname} in the sandbox` });
  } else {
    ctx.record({
      id: "result.ifname",
      status: "fail",
      rule: RULES.resultIfname,
      message: `CNI_IFNAME was ${ctx.opts.ifname} but the sandbox interfaces of the result are ${inSandbox.map((i) => i.name).join(", ")}`,
      ...(run ? { repro: ctx.repro(run) } : {}),
    });
  }
}

function summarise(r: ResultView): string {
  const parts = [
    r.interfaces.length ? `interfaces ${r.interfaces.map((i) => i.name).join(",")}` : "",
    r.ips.length ? `ips ${r.ips.map((i) => i.address).join(",")}` : "",
    r.routes.length ? `${r.routes.length} route(s)` : "",
  ].filter(Boolean);
  return `valid result${parts.length ? `: ${parts.join("; ")}` : " (empty)"}`;
}

/** Feeds a prevResult, as a runtime does for the second plugin of a chain, and looks for it in the output. */
export async function checkChaining(ctx: Context, plan: Plan): Promise<void> {
  for (const v of plan.versions.filter((x): x is KnownVersion => isKnownVersion(x) && supportsChaining(x))) {
    const id = `chain.prevresult.${v}`;
    const rule = RULES.chain;
    // With --netns the interface prevResult names really exists: a veth pair an interface plugin would have made.
    const netns = await ctx.sandbox(true);
    const prevResult = syntheticPrevResult(ctx, v, netns);
    const containerId = ctx.newContainerId();
    const add = await ctx.exec({ command: "ADD", stdin: { kind: "text", text: ctx.config(v, { prevResult }) }, netns, containerId });
    noteFailure(ctx, add, v);
    let output: Record<string, unknown> | undefined;
    if (add.out.timedOut || add.out.spawnError !== undefined || add.out.signal !== null) {
      ctx.record({ id, status: "fail", rule, message: `ADD with a prevResult ${describeEnd(add.out)}`, repro: ctx.repro(add) });
    } else if (!succeeded(add.out)) {
      if (ctx.opts.chained && ctx.ns) ctx.record({ id, status: "fail", rule, message: `ADD with a matching prevResult ${failureText(add.out)}`, repro: ctx.repro(add) });
      else if (ctx.opts.chained) ctx.record({ id, status: "n/a", rule, message: `ADD with a prevResult ${failureText(add.out)}; without --netns there is no namespace to add to` });
      else ctx.record({ id, status: "n/a", rule, message: `ADD with a prevResult ${failureText(add.out)}: the plugin does not run chained after another` });
    } else {
      const read = readResult(add, v);
      if (!read.ok) ctx.record({ id, status: "fail", rule, message: read.reason, repro: ctx.repro(add) });
      else {
        output = read.result.raw;
        ctx.record(judgeEcho(ctx, prevResult, read.result, add));
      }
    }
    const delConf = ctx.config(v, passesPrevResultOnDel(v) ? { prevResult: output ?? prevResult } : {});
    const del = await ctx.exec({ command: "DEL", stdin: { kind: "text", text: delConf }, netns, containerId });
    noteFailure(ctx, del, v);
  }
}

/**
 * Whether an ADD's output kept what prevResult held: every interface (by name and sandbox; a
 * chained plugin may change a MAC) and every address. Without --chained, an output that keeps
 * none of it is a first plugin of a chain ignoring prevResult (n/a); with it, that is a failure.
 */
function judgeEcho(ctx: Context, prev: Record<string, unknown>, out: ResultView, add: Run): CheckResult {
  const id = `chain.prevresult.${String(prev.cniVersion)}`;
  const rule = RULES.chain;
  const ifaces = (prev.interfaces ?? []) as ResultInterface[];
  const ips = (prev.ips ?? []) as ResultIp[];
  const lostIfaces = ifaces.filter((p) => !out.interfaces.some((o) => o.name === p.name && (o.sandbox ?? "") === (p.sandbox ?? "")));
  const lostIps = ips.filter((p) => !out.ips.some((o) => o.address === p.address));
  const lost = [...lostIfaces.map((i) => `interface ${i.name}${i.sandbox ? ` in ${i.sandbox}` : " (host)"}`), ...lostIps.map((i) => `ip ${i.address}`)];
  if (!lost.length) return { id, status: "pass", rule, message: "prevResult's interfaces and addresses are in the output" };
  const keptNothing = lostIfaces.length === ifaces.length && lostIps.length === ips.length;
  if (keptNothing && !ctx.opts.chained) {
    return { id, status: "n/a", rule, message: "the output replaces prevResult with the plugin's own result: it acts as the first plugin of a chain" };
  }
  const what = keptNothing ? "the output does not echo prevResult: it lost" : "the output keeps part of prevResult but lost";
  return { id, status: "fail", rule, message: `${what} ${lost.join(", ")}`, repro: ctx.repro(add) };
}

/** GC and STATUS for plugins that claim 1.1.0: success prints nothing. */
export async function checkGcStatus(ctx: Context, plan: Plan): Promise<void> {
  const v = plan.versions.filter(supportsGcStatus).pop();
  if (!v) {
    for (const [id, rule] of [["stdout.gc", RULES.gcStdout], ["stdout.status", RULES.statusStdout]] as const) {
      ctx.record({ id, status: "n/a", rule, message: "the plugin claims no version with GC and STATUS (1.1.0)" });
    }
    return;
  }
  // The run's network name is unique, so an empty valid list collects only what this run left behind.
  const gc = await ctx.exec({
    command: "GC",
    stdin: { kind: "text", text: ctx.config(v, { "cni.dev/valid-attachments": [], "cni.dev/attachments": [] }) },
  });
  noteFailure(ctx, gc, v);
  ctx.record(quietSuccess(ctx, gc, "stdout.gc", RULES.gcStdout, false));
  const status = await ctx.exec({ command: "STATUS", stdin: { kind: "text", text: ctx.config(v) } });
  noteFailure(ctx, status, v);
  ctx.record(quietSuccess(ctx, status, "stdout.status", RULES.statusStdout, true));
}

function quietSuccess(ctx: Context, run: Run, id: string, rule: string, errorAllowed: boolean): CheckResult {
  if (succeeded(run.out)) {
    return run.out.stdout.trim() === ""
      ? { id, rule, status: "pass", message: "success, nothing on stdout" }
      : { id, rule, status: "fail", message: `success but stdout holds ${excerpt(run.out.stdout)}`, repro: ctx.repro(run) };
  }
  const read = readError(run.out);
  if (errorAllowed && read.ok) return { id, rule, status: "pass", message: `not ready: ${errorText(read.error)}` };
  return { id, rule, status: "fail", message: failureText(run.out), repro: ctx.repro(run) };
}
