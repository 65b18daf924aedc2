import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Report, formatJunit, formatText, runConformance, summaryLine } from "@tscni/conformance";
import { afterAll, describe, expect, test, vi } from "vitest";
import { CLI, fixture, removeTempDirs, tempDir } from "./support.js";

afterAll(removeTempDirs);
vi.setConfig({ testTimeout: 120_000 });

const sample: Report = {
  plugin: "/opt/cni/bin/<odd & \"name\">",
  claimedVersions: ["1.0.0"],
  testedVersions: ["1.0.0"],
  netns: false,
  checks: [
    { id: "version.answer", status: "pass", rule: "§5", message: "ok" },
    { id: "stdout.del", status: "fail", rule: "§2 <DEL> & 'more'", message: "printed \u0001 \"<log>\" & more", repro: "env -i CNI_COMMAND=DEL /x <<'CNI_EOF'\n{}\nCNI_EOF" },
    { id: "netns.add", status: "n/a", rule: "§2", message: "run with --netns" },
  ],
  stats: { execs: 3, totalMs: 120, slowest: { command: "ADD", ms: 70 } },
  summary: { passed: 1, failed: 1, notApplicable: 1 },
};

describe("reports", () => {
  test("the summary line counts each status", () => {
    expect(summaryLine(sample)).toBe("1 passed, 1 failed, 1 not applicable");
  });

  test("the text report has the table, each failure with rule and command, and the summary last", () => {
    const text = formatText(sample);
    expect(text).toMatch(/^CHECK +STATUS +MESSAGE$/m);
    expect(text).toContain("3 execs, 120 ms in the plugin; slowest ADD 70 ms");
    expect(text).toMatch(/^stdout\.del +FAIL +printed/m);
    expect(text).toMatch(/^netns\.add +N\/A +run with --netns$/m);
    expect(text).toContain("FAILURES\n\nstdout.del: printed");
    expect(text).toContain("  rule: §2 <DEL> & 'more'\n  reproduce:\n    env -i CNI_COMMAND=DEL /x <<'CNI_EOF'\n    {}\n    CNI_EOF");
    expect(text.trimEnd().split("\n").pop()).toBe("1 passed, 1 failed, 1 not applicable");
  });

  test("JUnit XML escapes markup and drops characters XML cannot carry", () => {
    const xml = formatJunit(sample);
    expect(xml).toContain('<testsuite name="cni-conformance /opt/cni/bin/&lt;odd &amp; &quot;name&quot;&gt;" tests="3" failures="1" skipped="1" errors="0">');
    expect(xml).toContain('<testcase classname="cni-conformance" name="version.answer"></testcase>');
    expect(xml).toContain('<skipped message="run with --netns"/>');
    expect(xml).toContain('<failure message="printed \uFFFD &quot;&lt;log&gt;&quot; &amp; more">');
    expect(xml).toContain("rule: §2 &lt;DEL&gt; &amp; &apos;more&apos;");
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
    // Every element opened is closed: a cheap well-formedness check without an XML parser.
    expect(xml.match(/<testcase /g)?.length).toBe(xml.match(/<\/testcase>/g)?.length);
  });
});

describe("reproduction commands", () => {
  test("running a failure's command in a shell repeats the plugin's answer", async () => {
    const r = await runConformance({ binary: fixture("wrong-code").binary });
    const check = r.checks.find((c) => c.id === "env.missing.ADD.CNI_NETNS");
    expect(check?.status).toBe("fail");
    let out = "";
    try {
      execFileSync("sh", ["-c", check?.repro ?? "false"], { encoding: "utf8" });
    } catch (e) {
      expect((e as { status: number }).status).toBe(1);
      out = (e as { stdout: string }).stdout;
    }
    expect(JSON.parse(out)).toMatchObject({ code: 999, msg: "required env variables [CNI_NETNS] missing" });
  });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return new Promise((res) => {
    execFile(CLI, args, { env, encoding: "utf8" }, (err, stdout, stderr) => {
      res({ code: err ? Number((err as { code?: unknown }).code) : 0, stdout, stderr });
    });
  });
}

describe.concurrent("the cni-conformance command", () => {
  test("bad usage exits 2 with the usage text", async () => {
    for (const args of [[], ["a", "b"], ["x", "--timeout", "soon"], ["x", "--versions", "1.0"], ["x", "--frob"]]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("usage: cni-conformance <plugin-binary>");
      expect(r.stdout).toBe("");
    }
  });

  test("a plugin that cannot be executed is reported, not a crash", async () => {
    const r = await cli(["/nonexistent/plugin", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.checks.find((c) => c.id === "version.answer")?.message).toMatch(/could not be started: spawn \/nonexistent\/plugin ENOENT/);
  });

  test("a failing plugin: text report on stdout, JUnit file, exit 1", async () => {
    const junit = join(tempDir("junit"), "report.xml");
    const r = await cli([fixture("no-error-version").binary, "--junit", junit, "--versions", "1.1.0"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^error\.cni-version +FAIL +\d+ of \d+ error objects: no cniVersion/m);
    expect(r.stdout.trimEnd().split("\n").pop()).toMatch(/^\d+ passed, 1 failed, \d+ not applicable$/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testsuite name="cni-conformance [^"]+" tests="\d+" failures="1" skipped="\d+" errors="0">/);
    expect(xml).toContain('name="error.cni-version"><failure message=');
  });

  test("a passing plugin exits 0", async () => {
    const r = await cli([fixture("").binary, "--versions", "1.0.0,1.1.0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed, \d+ not applicable\n$/);
  });
});
