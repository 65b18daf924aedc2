import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { daemonMain, parseDaemonArgs, UsageError } from "../src/main.js";
import { DIST_BIN } from "./helpers.js";

describe("tscni daemon options", () => {
  const base = ["--socket", "/run/x/d.sock", "--plugin", "host-local=/x/host-local"];

  it("--any-netns takes a comma-separated list of plugin names, repeatable", () => {
    expect(parseDaemonArgs([...base, "--any-netns", "host-local,static", "--any-netns", "loopback"]).anyNetns).toEqual(["host-local", "static", "loopback"]);
    expect(parseDaemonArgs(base).anyNetns).toBeUndefined();
  });

  it.each([",", "", "../bridge", "a b"])("--any-netns %j is a usage error naming the value", (value) => {
    expect(() => parseDaemonArgs([...base, "--any-netns", value])).toThrow(UsageError);
    expect(() => parseDaemonArgs([...base, "--any-netns", value])).toThrow(`--any-netns ${JSON.stringify(value)}`);
  });

  const skip = skipReason({ executables: [join(DIST_BIN, "host-local")] });
  it.skipIf(skip)(`--any-netns naming a plugin the daemon does not serve: exit 2 before listening${skip ? ` (skipped: ${skip})` : ""}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tscni-daemon-args-"));
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const socket = join(dir, "run", "d.sock");
      const status = await daemonMain(["--socket", socket, "--plugin", `host-local=${join(DIST_BIN, "host-local")}`, "--any-netns", "host-local,bridge"]);
      expect(status).toBe(2);
      expect(lines.join("")).toContain("--any-netns names bridge, which this daemon does not serve (it serves host-local)");
      expect(existsSync(socket)).toBe(false);
    } finally {
      process.stderr.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
