import { type Context, readError } from "../context.js";
import { RULES } from "../rules.js";
import { isWellFormedVersion } from "../versions.js";

/** Checks over every error the plugin printed during the run. */
export function checkErrorObjects(ctx: Context): void {
  const seen = ctx.errorSightings;
  if (!seen.length) {
    for (const [id, rule] of [["error.shape", RULES.errorShape], ["error.cni-version", RULES.errorVersion]] as const) {
      ctx.record({ id, status: "n/a", rule, message: "the plugin never failed" });
    }
    return;
  }
  const malformed = seen.map((s) => ({ s, read: readError(s.run.out) })).filter((x) => !x.read.ok);
  const firstBad = malformed[0];
  if (firstBad && !firstBad.read.ok) {
    ctx.record({
      id: "error.shape",
      status: "fail",
      rule: RULES.errorShape,
      message: `${malformed.length} of ${seen.length} failing runs: e.g. CNI_COMMAND=${firstBad.s.run.inv.env.CNI_COMMAND ?? "(unset)"} ${firstBad.read.reason}`,
      repro: ctx.repro(firstBad.s.run),
    });
  } else {
    ctx.record({ id: "error.shape", status: "pass", rule: RULES.errorShape, message: `${seen.length} failing runs, each with one error object` });
  }

  const problems: Array<{ why: string; s: (typeof seen)[number] }> = [];
  let objects = 0;
  for (const s of seen) {
    const read = readError(s.run.out);
    if (!read.ok) continue;
    objects++;
    const v = read.error.cniVersion;
    if (v === undefined) problems.push({ why: "no cniVersion", s });
    else if (!isWellFormedVersion(v)) problems.push({ why: `cniVersion ${JSON.stringify(v)} is not a version`, s });
    else if (s.expectedVersion !== undefined && v !== s.expectedVersion)
      problems.push({ why: `cniVersion ${v} where the config's is ${s.expectedVersion}`, s });
  }
  const first = problems[0];
  if (!objects) ctx.record({ id: "error.cni-version", status: "n/a", rule: RULES.errorVersion, message: "no well-formed error object was printed" });
  else if (first) {
    const kinds = [...new Set(problems.map((p) => p.why.replace(/ \d+\.\d+\.\d+.*/, "")))].join("; ");
    ctx.record({
      id: "error.cni-version",
      status: "fail",
      rule: RULES.errorVersion,
      message: `${problems.length} of ${objects} error objects: ${first.why}${kinds !== first.why ? ` (${kinds})` : ""}`,
      repro: ctx.repro(first.s.run),
    });
  } else ctx.record({ id: "error.cni-version", status: "pass", rule: RULES.errorVersion, message: `all ${objects} error objects carry the protocol version` });
}
