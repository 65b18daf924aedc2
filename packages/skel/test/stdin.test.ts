/** VERSION's bounded read of stdin builds an AbortController only for a source that asks for the signal. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOptional } from "../src/stdin.js";

const work = mkdtempSync(join(tmpdir(), "tscni-skel-stdin-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("readOptional", () => {
  it("gives a source that asks for the signal one that is aborted when the wait ends", async () => {
    let seen: AbortSignal | undefined;
    const text = await readOptional(({ signal } = {}) => {
      seen = signal;
      return new Promise<Buffer>(() => {});
    }, 20);
    expect(text).toBe("");
    expect(seen?.aborted).toBe(true);
  });

  it("reads a source that never looks at the signal", async () => {
    expect(await readOptional(async () => Buffer.from('{"cniVersion":"1.0.0"}'))).toBe('{"cniVersion":"1.0.0"}');
  });

  it("loads no AbortController in a VERSION exec whose stdin is already complete", () => {
    const preload = join(work, "modules.cjs");
    const out = join(work, "modules.txt");
    writeFileSync(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join("\\n")));\n`);
    const noop = resolve(import.meta.dirname, "..", "..", "..", "dist", "bin", "noop");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", CNI_COMMAND: "VERSION" };
    // A real pipe, written and closed, as a Go runtime gives it (spawn's `input` would be a socket).
    const script = `exec "$NODE" --require "$PRELOAD" "$PLUGIN" < <(printf %s '{"cniVersion":"1.0.0"}')`;
    const run = spawnSync("bash", ["-c", script], { env: { ...env, NODE: process.execPath, PRELOAD: preload, PLUGIN: noop }, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ cniVersion: "1.0.0" });
    const modules = readFileSync(out, "utf8");
    expect(modules).toContain("NativeModule internal/fs/utils");
    expect(modules).not.toContain("internal/abort_controller");
  });
});
