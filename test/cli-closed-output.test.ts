/**
 * Every CLI of the project with its stdout closed (`TOOL --help | head -0`):
 * one line on stderr naming the tool, exit 1, never a Node stack trace.
 * (Each package's own tests cover its real work with closed streams.)
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runWithClosed } from "./support/closed-output.js";

const BIN = resolve(import.meta.dirname, "..", "dist", "bin");

describe("a closed stdout", () => {
  it.each(["cnitool", "cni-bundle", "cni-conformance", "tscni"])("%s --help: one line on stderr, exit 1", async (tool) => {
    const r = await runWithClosed("stdout", join(BIN, tool), ["--help"]);
    expect(r).toEqual({ status: 1, signal: null, stdout: "", stderr: `${tool}: cannot write to stdout (EPIPE): output lost\n` });
  });

  it.each(["cnitool", "cni-bundle", "cni-conformance", "tscni"])("%s --help with stdout and stderr closed: exit 1, no hang", async (tool) => {
    expect(await runWithClosed("both", join(BIN, tool), ["--help"])).toMatchObject({ status: 1, signal: null });
  });
});
