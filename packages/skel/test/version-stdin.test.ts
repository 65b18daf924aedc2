/**
 * VERSION's stdin in a real process: read without a stream when the runtime
 * has already written and closed it (the fast path), and still answered when
 * the runtime leaves it open, written or not, without ever hanging.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { fixtureBinary } from "./fixture-binary.js";

const binary = fixtureBinary("positional-plugin.ts", "positional", "version-stdin");

/** Execs VERSION, writes `input` (if any), and closes stdin only if `close`, or after the process exited. */
function version(input: string | undefined, close: boolean): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("env", ["-i", "CNI_COMMAND=VERSION", process.execPath, binary], { stdio: ["pipe", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.on("error", reject);
    child.on("close", (code) => {
      child.stdin.destroy();
      resolve({ code, stdout });
    });
    child.stdin.on("error", () => {});
    if (input !== undefined) child.stdin.write(input);
    if (close) child.stdin.end();
  });
}

describe("VERSION reads the config's version from stdin", () => {
  it("written and closed before the plugin reads it", async () => {
    const r = await version('{"cniVersion":"0.4.0"}', true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "0.4.0", supportedVersions: ["0.4.0", "1.0.0"] });
  });

  it("written but left open: the bounded wait ends with the newest version, and the plugin exits", async () => {
    const r = await version('{"cniVersion":"0.4.0"}', false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] });
  });

  it("never written and left open: the newest version, and the plugin exits", async () => {
    const r = await version(undefined, false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] });
  });
});
