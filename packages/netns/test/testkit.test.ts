import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { definePlugin } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { openNetns } from "@tscni/netns";
import { cniEnv, createTestNetns, execPluginBinary, removeAllTestNetns, requireNetns, runInProcess } from "@tscni/netns/testkit";

describe("cniEnv", () => {
  test("per-container verbs carry the container fields, GC and STATUS send them empty", () => {
    expect(cniEnv({ command: "ADD", config: {}, netns: "/run/netns/x", args: "A=1", path: ["/a", "/b"] })).toEqual({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "tscni-test-container",
      CNI_NETNS: "/run/netns/x",
      CNI_IFNAME: "eth0",
      CNI_ARGS: "A=1",
      CNI_PATH: "/a:/b",
    });
    expect(cniEnv({ command: "GC", config: {}, netns: "/run/netns/x" })).toMatchObject({ CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" });
  });
});

const skip = requireNetns();

describe.skipIf(skip)(`test kit against real namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "tscni-testkit-"));
  afterEach(removeAllTestNetns);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("execPluginBinary runs the binary inside the host namespace with only the CNI variables and the config on stdin", async () => {
    const host = await createTestNetns("tkh");
    const script = join(dir, "probe");
    // Reports its namespace inode, its environment and its stdin, as JSON on stdout.
    writeFileSync(script, '#!/bin/sh\nin=$(cat)\nprintf \'{"ino":"%s","env":"%s","stdin":%s}\' "$(stat -L -c %i /proc/self/ns/net)" "$(env | grep -v ^PWD= | grep -v ^SHLVL= | grep -v ^_= | sort | tr "\\n" " ")" "$in"\n');
    chmodSync(script, 0o755);
    const run = await execPluginBinary({ binary: script, hostNetns: host.path, command: "ADD", netns: "/run/netns/c", config: { cniVersion: "1.1.0", name: "n" } });
    expect(run.exitCode).toBe(0);
    const out = run.json as { ino: string; env: string; stdin: object };
    expect(out.ino).toBe(String(statSync(host.path).ino));
    expect(out.stdin).toEqual({ cniVersion: "1.1.0", name: "n" });
    expect(out.env.trim().split(" ").map((kv) => kv.split("=")[0])).toEqual(["CNI_ARGS", "CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_PATH", "PATH"]);
  });

  test("runInProcess drives a plugin definition through skel's dispatcher against a test namespace", async () => {
    const ctr = await createTestNetns("tki");
    const plugin = definePlugin({
      async add(args) {
        const ns = await openNetns(args.netns);
        await ns.setUp("lo");
        return { interfaces: [{ name: "lo", sandbox: args.netns }] };
      },
      async del(args) {
        await (await openNetns(args.netns)).setDown("lo");
      },
    });
    const run = await runInProcess(runPlugin, plugin, { command: "ADD", netns: ctr.path, config: { cniVersion: "1.0.0", name: "n", type: "inline" } });
    expect(run.exitCode).toBe(0);
    expect(run.json).toEqual({ cniVersion: "1.0.0", interfaces: [{ name: "lo", sandbox: ctr.path }] });
    expect((await ctr.ns.link("lo"))?.up).toBe(true);
    const gone = await runInProcess(runPlugin, plugin, { command: "ADD", netns: "/run/netns/tscni-never-made", config: { cniVersion: "1.0.0", name: "n", type: "inline" } });
    expect(gone.json).toMatchObject({ code: 3 });
  });
});
