import { type Call, type CheckResult, type Context, describeEnd, errorText, failureText, readError, succeeded } from "../context.js";
import type { StdinMode } from "../exec.js";
import { RULES } from "../rules.js";
import { KNOWN_VERSIONS, atLeast, supportsCheck, supportsGcStatus } from "../versions.js";
import { type ErrorExpectation, judgeError, noteFailure, undoUnexpectedAdd } from "./expect.js";
import { syntheticPrevResult } from "./synthetic.js";

export interface Plan {
  /** Known versions under test, oldest first. */
  versions: string[];
  /** Everything the plugin claims (known or not). */
  claimed: string[];
}

const newest = (vs: readonly string[]): string | undefined => vs[vs.length - 1];

/** One check of this group: it runs alone (`serial`) or alongside others. */
interface Task {
  serial: boolean;
  run: () => Promise<CheckResult>;
}

/** Runs a request that must fail, judges it, and undoes it if the plugin wrongly did the work. */
function mustFail(ctx: Context, call: () => Promise<Call>, e: ErrorExpectation): () => Promise<CheckResult> {
  return async () => {
    const run = await ctx.exec(await call());
    const result = judgeError(ctx, run, e);
    await undoUnexpectedAdd(ctx, run);
    return result;
  };
}

/** How many of the independent must-fail execs run at once. */
const PARALLEL = 4;

/**
 * Environment, stdin, config, version-gating and unknown-verb checks: runs that must fail.
 * Each uses its own container ID (and namespace), so those whose only passing outcome is a
 * specific error run in parallel: whatever a wrong plugin does concurrently, they fail either
 * way. Checks where success is acceptable (n/a) or expected run alone afterwards, so a plugin's
 * shared state (one IPAM address) cannot change their verdict.
 */
export async function checkProtocol(ctx: Context, plan: Plan): Promise<void> {
  const v = newest(plan.versions);
  if (v === undefined) {
    ctx.record({ id: "protocol", status: "n/a", rule: "§2", message: "no spec version to test with (no usable VERSION answer; pass --versions)" });
    return;
  }
  const tasks = [...environmentTasks(ctx, plan, v), ...inputTasks(ctx, v), ...gatingTasks(ctx, plan)];
  const results: CheckResult[] = new Array(tasks.length);
  const parallel = tasks.map((t, i) => ({ t, i })).filter((x) => !x.t.serial);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < parallel.length) {
        const { t, i } = parallel[next++] as { t: Task; i: number };
        results[i] = await t.run();
      }
    }),
  );
  for (const [i, t] of tasks.entries()) if (t.serial) results[i] = await t.run();
  for (const r of results) ctx.record(r);
}

function environmentTasks(ctx: Context, plan: Plan, v: string): Task[] {
  const tasks: Task[] = [];
  const checkV = newest(plan.versions.filter(supportsCheck));
  const gcV = newest(plan.versions.filter(supportsGcStatus));
  // An ADD's config: with --chained it carries the prevResult, so only the fault under test is wrong.
  const cfg = text(ctx.attachmentConfig(v, undefined, "ADD"));
  // Each missing variable on its own, everything else valid.
  const required: Array<[verb: string, version: string | undefined, names: string[]]> = [
    ["ADD", v, ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]],
    ["DEL", v, ["CNI_CONTAINERID", "CNI_IFNAME"]],
    ["CHECK", checkV, ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]],
    ["GC", gcV, ["CNI_PATH"]],
  ];
  for (const [verb, version, names] of required) {
    for (const name of names) {
      const id = `env.missing.${verb}.${name}`;
      const rule = RULES.missing(verb, name);
      if (version === undefined) {
        tasks.push({ serial: true, run: async () => ({ id, status: "n/a", rule, message: `the plugin claims no version with ${verb}` }) });
        continue;
      }
      const stdin = verb === "CHECK" ? ctx.config(version, { prevResult: syntheticPrevResult(ctx, version) }) : text(ctx.attachmentConfig(version, undefined, verb as "ADD" | "DEL"));
      const call = async (): Promise<Call> => ({ command: verb, stdin: { kind: "text", text: stdin }, netns: await ctx.probeNetns(), env: { [name]: undefined } });
      tasks.push({ serial: false, run: mustFail(ctx, call, { id, rule, codes: [4], mustName: name, expectedVersion: version }) });
    }
  }

  tasks.push({
    serial: true,
    run: async () => {
      const run = await ctx.exec({ command: undefined, stdin: { kind: "text", text: cfg }, netns: await ctx.probeNetns() });
      if (succeeded(run.out) && run.out.stdout.trim() === "") {
        const stderr = run.out.stderr.trim() ? `; stderr: ${run.out.stderr.trim().split("\n")[0]}` : "";
        return { id: "env.missing-command", status: "pass", rule: RULES.noCommand, message: `exit 0, nothing on stdout${stderr}` };
      }
      return judgeError(ctx, run, { id: "env.missing-command", rule: RULES.noCommand, codes: [4], mustName: "CNI_COMMAND", expectedVersion: v });
    },
  });

  tasks.push({ serial: true, run: () => checkOptionalPath(ctx, "ADD", v) });
  tasks.push({ serial: true, run: () => checkOptionalPath(ctx, "DEL", v) });
  tasks.push({
    serial: true,
    run: async () =>
      gcV
        ? checkOptionalPath(ctx, "STATUS", gcV)
        : { id: "env.optional.STATUS.CNI_PATH", status: "n/a", rule: RULES.optionalPath("STATUS"), message: "the plugin claims no version with STATUS" },
  });

  tasks.push({
    serial: true,
    run: async () => {
      const run = await ctx.exec({ command: "DEL", stdin: { kind: "text", text: cfg } });
      noteFailure(ctx, run, v);
      return succeeded(run.out)
        ? { id: "del.without-netns", status: "pass", rule: RULES.delWithoutNetns, message: "DEL with CNI_NETNS unset succeeded" }
        : { id: "del.without-netns", status: "fail", rule: RULES.delWithoutNetns, message: failureText(run.out), repro: ctx.repro(run) };
    },
  });

  const badIds: Array<[string, string]> = [
    ["leading-dash", "-leadingdash"],
    ["slash", "a/b"],
    ["space", "a b"],
  ];
  for (const [tag, value] of badIds) {
    const call = async (): Promise<Call> => ({ command: "ADD", stdin: { kind: "text", text: cfg }, netns: await ctx.probeNetns(), containerId: value });
    tasks.push({
      serial: true,
      run: mustFail(ctx, call, {
        id: `env.container-id.${tag}`,
        rule: RULES.containerId,
        codes: [4],
        whenAccepted: { status: "n/a", reason: `container ID ${JSON.stringify(value)} accepted; the rule is the runtime's to keep` },
        expectedVersion: v,
      }),
    });
  }

  const badIfnames: Array<[string, string]> = [
    ["too-long", "abcdefghijklmnop"],
    ["dot", "."],
    ["dotdot", ".."],
    ["slash", "a/b"],
    ["colon", "a:b"],
    ["space", "a b"],
  ];
  for (const [tag, value] of badIfnames) {
    const call = async (): Promise<Call> => ({ command: "ADD", stdin: { kind: "text", text: cfg }, netns: await ctx.probeNetns(), env: { CNI_IFNAME: value } });
    tasks.push({ serial: false, run: mustFail(ctx, call, { id: `env.ifname.${tag}`, rule: RULES.ifname, codes: [4], expectedVersion: v }) });
  }
  return tasks;
}

const text = (s: StdinMode): string => (s.kind === "text" ? s.text : "");

function inputTasks(ctx: Context, v: string): Task[] {
  const tasks: Task[] = [];
  const badStdin: Array<[string, string, string, number[]]> = [
    ["stdin.not-json.ADD", "ADD", "{not json", [6]],
    ["stdin.not-json.DEL", "DEL", "{not json", [6]],
    ["stdin.empty.ADD", "ADD", "", [6]],
    ["stdin.not-object.ADD", "ADD", "[]", [6, 7]],
  ];
  for (const [id, verb, text, codes] of badStdin) {
    const call = async (): Promise<Call> => ({ command: verb, stdin: text === "" ? { kind: "empty" } : { kind: "text", text }, netns: await ctx.probeNetns() });
    tasks.push({ serial: false, run: mustFail(ctx, call, { id, rule: id.startsWith("stdin.not-object") ? RULES.notObject : RULES.decode, codes }) });
  }

  const { name: _dropped, ...withoutName } = JSON.parse(text(ctx.attachmentConfig(v, undefined, "ADD"))) as Record<string, unknown>;
  const badConfigs: Array<[string, string, string, number[], boolean]> = [
    ["config.missing-name", JSON.stringify(withoutName), RULES.missingName, [7], false],
    ["config.invalid-name", JSON.stringify({ ...withoutName, name: "bad name/with spaces" }), RULES.invalidName, [7], true],
    ["config.version-not-string", ctx.config(Number(v.split(".")[0]) + 0.5), RULES.versionType, [1, 6, 7], false],
  ];
  for (const [id, text, rule, codes, lenient] of badConfigs) {
    const call = async (): Promise<Call> => ({ command: "ADD", stdin: { kind: "text", text }, netns: await ctx.probeNetns() });
    const expectation: ErrorExpectation = {
      id,
      rule,
      codes,
      ...(lenient ? { whenAccepted: { status: "n/a" as const, reason: "the name rule binds whoever writes the config" } } : {}),
    };
    tasks.push({ serial: lenient, run: mustFail(ctx, call, expectation) });
  }
  return tasks;
}

/** CNI_PATH is optional except for GC, but a plugin that delegates (has `ipam`) needs it to find its delegate. */
async function checkOptionalPath(ctx: Context, verb: string, version: string): Promise<CheckResult> {
  const id = `env.optional.${verb}.CNI_PATH`;
  const rule = RULES.optionalPath(verb);
  const netns = verb === "ADD" ? await ctx.sandbox() : undefined;
  const run = await ctx.exec({
    command: verb,
    stdin: verb === "STATUS" ? { kind: "text", text: ctx.config(version) } : ctx.attachmentConfig(version, netns, verb as "ADD" | "DEL"),
    ...(netns ? { netns } : {}),
    env: { CNI_PATH: undefined },
  });
  noteFailure(ctx, run, version);
  await undoUnexpectedAdd(ctx, run);
  if (succeeded(run.out)) {
    return { id, status: "pass", rule, message: `${verb} without CNI_PATH succeeded` };
  }
  if (run.out.timedOut || run.out.spawnError !== undefined || run.out.signal !== null) {
    return { id, status: "fail", rule, message: `${verb} without CNI_PATH: plugin ${describeEnd(run.out)}`, repro: ctx.repro(run) };
  }
  const read = readError(run.out);
  const text = read.ok ? errorText(read.error) : read.reason;
  const namesPath = read.ok && `${read.error.msg} ${read.error.details ?? ""}`.includes("CNI_PATH");
  const ipam = ctx.opts.config.ipam as { type?: unknown } | undefined;
  // An IPAM plugin run on its own finds its own type in `ipam`: nothing to delegate to.
  const delegates = typeof ipam?.type === "string" && ipam.type !== ctx.opts.config.type;
  if (namesPath && !delegates) {
    return { id, status: "fail", rule, message: `${verb} without CNI_PATH refused: ${text} (the config delegates to no other plugin, so there is nothing to look up)`, repro: ctx.repro(run) };
  } else if (namesPath) {
    return { id, status: "n/a", rule, message: `refused (${text}): the config delegates to an ipam plugin, which needs CNI_PATH` };
  } else if (!ctx.ns && verb === "ADD") {
    return { id, status: "n/a", rule, message: `ADD failed for another reason (${text}); without --netns there is no namespace to add to` };
  } else {
    return { id, status: "fail", rule, message: `${verb} without CNI_PATH failed: ${text}`, repro: ctx.repro(run) };
  }
}

function gatingTasks(ctx: Context, plan: Plan): Task[] {
  const tasks: Task[] = [];
  const unclaimed = KNOWN_VERSIONS.filter((k) => !plan.claimed.includes(k));
  const unsupported = newest(unclaimed) ?? "42.0.0";
  for (const verb of ["ADD", "DEL"]) {
    const call = async (): Promise<Call> => ({ command: verb, stdin: { kind: "text", text: ctx.config(unsupported) }, netns: await ctx.probeNetns() });
    tasks.push({ serial: false, run: mustFail(ctx, call, { id: `gating.unsupported-version.${verb}`, rule: `${RULES.unsupportedVersion}: config ${unsupported}`, codes: [1] }) });
  }
  const gates: Array<[string, string, string]> = [
    ["CHECK", "0.4.0", "gating.check-before-0.4.0"],
    ["GC", "1.1.0", "gating.gc-before-1.1.0"],
    ["STATUS", "1.1.0", "gating.status-before-1.1.0"],
  ];
  for (const [verb, since, id] of gates) {
    // The newest version the plugin claims below the gate, or the version just below it.
    const older = newest(plan.versions.filter((x) => !atLeast(x, since))) ?? (since === "0.4.0" ? "0.3.1" : "1.0.0");
    const stdin = ctx.config(older, verb === "CHECK" ? { prevResult: syntheticPrevResult(ctx, older) } : {});
    const call = async (): Promise<Call> => ({ command: verb, stdin: { kind: "text", text: stdin }, netns: await ctx.probeNetns() });
    const claimed = plan.claimed.includes(older) ? older : undefined;
    tasks.push({
      serial: false,
      run: mustFail(ctx, call, { id, rule: `${RULES.gate(verb, since)}: config ${older}`, codes: [1, 4], ...(claimed ? { expectedVersion: claimed } : {}) }),
    });
  }
  const cfg = ctx.config(newest(plan.versions) as string);
  const call = async (): Promise<Call> => ({ command: "FROBNICATE", stdin: { kind: "text", text: cfg }, netns: await ctx.probeNetns() });
  tasks.push({ serial: false, run: mustFail(ctx, call, { id: "verb.unknown", rule: RULES.unknownVerb, codes: [4] }) });
  return tasks;
}
