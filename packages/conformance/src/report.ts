import type { Report } from "./run.js";

export function summaryLine(r: Report): string {
  return `${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.notApplicable} not applicable`;
}

/** The table a person reads, then each failure with its rule and the command that repeats it. */
export function formatText(r: Report): string {
  const rows = r.checks.map((c) => [c.id, c.status.toUpperCase(), c.message]);
  const w0 = Math.max(5, ...rows.map((x) => x[0]!.length));
  const w1 = 6;
  const lines = [
    `cni-conformance ${r.plugin}`,
    `claims ${r.claimedVersions.join(", ") || "(nothing)"}; tested ${r.testedVersions.join(", ") || "(nothing)"}${r.netns ? "; in throwaway namespaces" : ""}`,
    `${r.stats.execs} execs, ${r.stats.totalMs} ms in the plugin${r.stats.slowest ? `; slowest ${r.stats.slowest.command} ${r.stats.slowest.ms} ms` : ""}`,
    "",
    `${"CHECK".padEnd(w0)}  ${"STATUS".padEnd(w1)}  MESSAGE`,
    ...rows.map(([id, st, msg]) => `${id!.padEnd(w0)}  ${st!.padEnd(w1)}  ${oneLine(msg!)}`),
  ];
  const failures = r.checks.filter((c) => c.status === "fail");
  if (failures.length) lines.push("", "FAILURES");
  for (const f of failures) {
    lines.push("", `${f.id}: ${f.message}`, `  rule: ${f.rule}`);
    if (f.repro) lines.push("  reproduce:", ...f.repro.split("\n").map((l) => `    ${l}`));
  }
  lines.push("", "RULES", ...[...new Map(r.checks.map((c) => [c.id, c.rule])).entries()].map(([id, rule]) => `${id.padEnd(w0)}  ${rule}`));
  lines.push("", summaryLine(r));
  return `${lines.join("\n")}\n`;
}

function oneLine(s: string, max = 140): string {
  const flat = s.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

export function formatJson(r: Report): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const escapeXml = (s: string): string =>
  s
    // Characters XML 1.0 cannot carry at all, even escaped.
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

/** JUnit XML: one testcase per check; n/a is <skipped>, fail is <failure> with the rule and repro. */
export function formatJunit(r: Report): string {
  const cases = r.checks.map((c) => {
    const open = `  <testcase classname="cni-conformance" name="${escapeXml(c.id)}">`;
    if (c.status === "pass") return `${open}</testcase>`;
    if (c.status === "n/a") return `${open}<skipped message="${escapeXml(c.message)}"/></testcase>`;
    const body = `${c.message}\nrule: ${c.rule}${c.repro ? `\nreproduce:\n${c.repro}` : ""}`;
    return `${open}<failure message="${escapeXml(c.message)}">${escapeXml(body)}</failure></testcase>`;
  });
  const s = r.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${escapeXml(`cni-conformance ${r.plugin}`)}" tests="${r.checks.length}" failures="${s.failed}" skipped="${s.notApplicable}" errors="0">`,
    ...cases,
    "</testsuite>",
    "",
  ].join("\n");
}
