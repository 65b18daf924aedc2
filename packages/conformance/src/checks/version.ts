import { type Context, describeEnd, succeeded } from "../context.js";
import { type VersionAnswer, parseSingleDocument, validateVersionAnswer } from "../documents.js";
import type { StdinMode } from "../exec.js";
import { RULES } from "../rules.js";
import { atLeast, isKnownVersion } from "../versions.js";
import { noteFailure } from "./expect.js";

async function askVersion(ctx: Context, stdin: StdinMode) {
  const run = await ctx.exec({ command: "VERSION", stdin });
  noteFailure(ctx, run);
  if (!succeeded(run.out)) return { run, answer: undefined, reason: `VERSION ${describeEnd(run.out)}: ${run.out.stdout.trim() || run.out.stderr.trim()}` };
  const doc = parseSingleDocument(run.out.stdout);
  if (!doc.ok) return { run, answer: undefined, reason: doc.reason };
  const answer = validateVersionAnswer(doc.value);
  if (!answer.ok) return { run, answer: undefined, reason: answer.reason };
  return { run, answer: answer.value, reason: "" };
}

/** VERSION checks; returns the plugin's claimed versions, or undefined without a usable answer. */
export async function checkVersion(ctx: Context): Promise<VersionAnswer | undefined> {
  // Go's libcni sends the newest version it knows; a plugin must answer whatever it supports.
  const first = await askVersion(ctx, { kind: "text", text: JSON.stringify({ cniVersion: "1.1.0" }) });
  if (!first.answer) {
    ctx.record({ id: "version.answer", status: "fail", rule: RULES.versionAnswer, message: first.reason, repro: ctx.repro(first.run) });
  } else {
    ctx.record({
      id: "version.answer",
      status: "pass",
      rule: RULES.versionAnswer,
      message: `cniVersion ${first.answer.cniVersion}, supports ${first.answer.supportedVersions.join(", ")}`,
    });
  }
  const answer = first.answer;
  if (!answer) return undefined;

  const unknown = answer.supportedVersions.filter((v) => !isKnownVersion(v));
  const dupes = answer.supportedVersions.filter((v, i, all) => all.indexOf(v) !== i);
  ctx.record({
    id: "version.supported",
    status: "pass",
    rule: RULES.versionSupported,
    message:
      [
        unknown.length ? `not known to this checker (not tested): ${unknown.join(", ")}` : "",
        dupes.length ? `listed twice: ${dupes.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; ") || "all well-formed, known versions",
  });

  const oneX = answer.supportedVersions.filter((v) => isKnownVersion(v) && atLeast(v, "1.0.0"));
  if (!oneX.length) {
    ctx.record({ id: "version.echo", status: "n/a", rule: RULES.versionEcho, message: "the plugin claims no 1.x version" });
  } else {
    const wrong: string[] = [];
    let repro: string | undefined;
    for (const v of oneX) {
      const r = await askVersion(ctx, { kind: "text", text: JSON.stringify({ cniVersion: v }) });
      if (r.answer?.cniVersion !== v) {
        wrong.push(`input ${v} -> ${r.answer ? `answered cniVersion ${r.answer.cniVersion}` : r.reason}`);
        repro ??= ctx.repro(r.run);
      }
    }
    ctx.record(
      wrong.length
        ? { id: "version.echo", status: "fail", rule: RULES.versionEcho, message: wrong.join("; "), ...(repro ? { repro } : {}) }
        : { id: "version.echo", status: "pass", rule: RULES.versionEcho, message: `echoed ${oneX.join(", ")}` },
    );
  }

  const claimsPre1 = answer.supportedVersions.some((v) => isKnownVersion(v) && !atLeast(v, "1.0.0"));
  const modes: Array<[string, StdinMode, string]> = [
    ["version.stdin-none", { kind: "none" }, "stdin is /dev/null"],
    ["version.stdin-empty", { kind: "empty" }, "stdin is an empty pipe"],
    ["version.stdin-closed", { kind: "closed" }, "file descriptor 0 is closed"],
  ];
  for (const [id, stdin, what] of modes) {
    const r = await askVersion(ctx, stdin);
    if (r.answer) ctx.record({ id, status: "pass", rule: RULES.versionStdin, message: `answered with ${what}` });
    else if (claimsPre1) ctx.record({ id, status: "fail", rule: RULES.versionStdin, message: `${what}: ${r.reason}`, repro: ctx.repro(r.run) });
    else
      ctx.record({
        id,
        status: "n/a",
        rule: RULES.versionStdin,
        message: `${what}: no answer (${r.reason}); the plugin claims only 1.x versions, whose VERSION input is the {cniVersion} object`,
      });
  }
  return answer;
}

