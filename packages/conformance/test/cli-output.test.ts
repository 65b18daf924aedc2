/**
 * cni-conformance with its stdout or stderr closed (`cni-conformance ... | head -0`):
 * one line on stderr, never a Node stack trace, and an exit status that still
 * tells: the run's own status when it failed or was misused, 1 when its report was lost.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runIntoGonePipe, runWithClosed } from "../../../test/support/closed-output.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const CLI = join(ROOT, "dist/bin/cni-conformance");
const NOOP = join(ROOT, "dist/bin/noop");
const LINE = "cni-conformance: cannot write to stdout (EPIPE): output lost\n";

describe("cni-conformance with a closed stdout or stderr", () => {
  it("--help into a closed stdout: one line, exit 1", async () => {
    expect(await runWithClosed("stdout", CLI, ["--help"])).toEqual({ status: 1, signal: null, stdout: "", stderr: LINE });
  });

  it("a passing run whose report cannot be written: one line, exit 1, as a shell pipeline whose reader is gone", () => {
    expect(existsSync(NOOP)).toBe(true);
    const r = runIntoGonePipe(CLI, [NOOP, "--versions", "1.0.0"]);
    expect({ status: r.status, signal: r.signal, stdout: r.stdout }).toEqual({ status: 1, signal: null, stdout: "" });
    // Run as root it also says, first, that it runs without --netns.
    expect(r.stderr.endsWith(LINE)).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("a closed stderr: a usage error keeps exit 2, a passing run exits 0 with its report", async () => {
    expect(await runWithClosed("stderr", CLI, [])).toMatchObject({ status: 2, signal: null, stdout: "" });
    const passing = await runWithClosed("stderr", CLI, [NOOP, "--versions", "1.0.0", "--json"]);
    expect(passing.status).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({ summary: { failed: 0 } });
  }, 60_000);

  it("both closed: no crash, exit 1 for the lost report", async () => {
    expect(await runWithClosed("both", CLI, [NOOP, "--versions", "1.0.0"])).toMatchObject({ status: 1, signal: null });
  }, 60_000);
});
