import { type CheckResult, type Context, type Run, describeEnd, errorText, readError, succeeded } from "../context.js";

export interface ErrorExpectation {
  id: string;
  rule: string;
  /** Codes that satisfy the rule. */
  codes: readonly number[];
  /** The error's msg or details must contain this text (spec: "must contain the names of invalid variables"). */
  mustName?: string;
  /** What to say when the plugin succeeds instead: a failure, or not applicable with a reason. */
  whenAccepted?: { status: "fail" } | { status: "n/a"; reason: string };
  /** The config's version when it is a valid, claimed one (for the error-object checks). */
  expectedVersion?: string;
}

/**
 * Records every failed run for the checks about error objects, so each
 * error-producing check needs no code of its own for that.
 */
export function noteFailure(ctx: Context, run: Run, expectedVersion?: string): void {
  if (succeeded(run.out) || run.out.timedOut || run.out.spawnError) return;
  ctx.errorSightings.push(expectedVersion === undefined ? { run } : { run, expectedVersion });
}

/** Judges a run that the spec says must fail with one of `codes`. */
export function judgeError(ctx: Context, run: Run, e: ErrorExpectation): CheckResult {
  const base = { id: e.id, rule: e.rule };
  const fail = (message: string): CheckResult => ({ ...base, status: "fail", message, repro: ctx.repro(run) });
  noteFailure(ctx, run, e.expectedVersion);
  const want = e.codes.join(" or ");
  if (succeeded(run.out)) {
    const w = e.whenAccepted ?? { status: "fail" };
    if (w.status === "n/a") return { ...base, status: "n/a", message: `accepted (exit 0): ${w.reason}` };
    return fail(`succeeded (exit 0) where an error with code ${want} is required`);
  }
  if (run.out.timedOut || run.out.spawnError || run.out.signal) return fail(`plugin ${describeEnd(run.out)}`);
  const read = readError(run.out);
  if (!read.ok) return fail(read.reason);
  const err = read.error;
  if (!e.codes.includes(err.code)) return fail(`${errorText(err)}; expected code ${want}`);
  if (e.mustName && !`${err.msg} ${err.details ?? ""}`.includes(e.mustName)) {
    return fail(`${errorText(err)}: the message does not name ${e.mustName}`);
  }
  return { ...base, status: "pass", message: errorText(err) };
}

/** Runs DEL with the same inputs after an ADD that should have failed but did not, so nothing is left behind. */
export async function undoUnexpectedAdd(ctx: Context, run: Run): Promise<void> {
  if (!succeeded(run.out) || run.inv.env.CNI_COMMAND !== "ADD") return;
  await ctx.exec({
    command: "DEL",
    stdin: run.inv.stdin,
    netns: run.inv.env.CNI_NETNS,
    containerId: run.inv.env.CNI_CONTAINERID ?? ctx.newContainerId(),
    env: { CNI_IFNAME: run.inv.env.CNI_IFNAME, CNI_CONTAINERID: run.inv.env.CNI_CONTAINERID },
  });
}
