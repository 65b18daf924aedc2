import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { runPlugin } from "@tscni/skel/testing";
import { PLUGIN_VERSIONS, cnitool, createTestNetns, execPluginBinary, removeAllTestNetns, requireNetns, runInProcess, supportsCheck, workspace } from "@tscni/netns/testkit";
import { loopbackPlugin } from "../src/plugin.js";
import { CNITOOL, pluginPath } from "../../../test/support/plugin-bin.js";

const binary = pluginPath("loopback");
const skip = requireNetns();
const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
const hasCheck = (v: string) => !v.startsWith("0.1") && !v.startsWith("0.2") && !v.startsWith("0.3");

function config(cniVersion: string, extra: object = {}) {
  return { cniVersion, name: "loopback-test", type: "loopback", ...extra };
}

function loState(netnsName: string): { up: boolean; addrs: string[] } {
  const [lo] = JSON.parse(execFileSync("ip", ["-n", netnsName, "-json", "addr", "show", "dev", "lo"], { encoding: "utf8" }));
  return { up: lo.flags.includes("UP"), addrs: lo.addr_info.map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`) };
}

describe.skipIf(skip)(`loopback plugin binary${skip ? ` (skipped: ${skip})` : ""}`, () => {
  afterEach(removeAllTestNetns);

  describe.each(VERSIONS)("cniVersion %s", (cniVersion) => {
    test("ADD brings lo up, CHECK passes, DEL sets it down, DEL again succeeds", async () => {
      const ctr = await createTestNetns("lo");
      const base = { binary, netns: ctr.path, containerId: "lo-test", ifName: "lo" };
      expect(loState(ctr.name).up).toBe(false);

      const added = await execPluginBinary({ ...base, command: "ADD", config: config(cniVersion) });
      expect(added.stderr).toBe("");
      expect(added.exitCode).toBe(0);
      expect(added.json).toMatchObject({ cniVersion });
      if (cniVersion.startsWith("0.1") || cniVersion.startsWith("0.2")) {
        expect(added.json).toMatchObject({ ip4: { ip: "127.0.0.1/8" }, ip6: { ip: "::1/128" } });
      } else {
        expect(added.json).toMatchObject({
          interfaces: [{ name: "lo", mac: "00:00:00:00:00:00", sandbox: ctr.path }],
          ips: [{ interface: 0, address: "127.0.0.1/8" }, { interface: 0, address: "::1/128" }],
        });
      }
      expect(loState(ctr.name)).toEqual({ up: true, addrs: ["127.0.0.1/8", "::1/128"] });
      execFileSync("ip", ["netns", "exec", ctr.name, "ping", "-c1", "-W1", "127.0.0.1"], { stdio: "ignore" });

      if (hasCheck(cniVersion)) {
        const checked = await execPluginBinary({ ...base, command: "CHECK", config: config(cniVersion, { prevResult: added.json }) });
        expect(checked).toMatchObject({ exitCode: 0, stdout: "" });
      }
      for (let i = 0; i < 2; i++) {
        const deleted = await execPluginBinary({ ...base, command: "DEL", config: config(cniVersion) });
        expect(deleted).toMatchObject({ exitCode: 0, stdout: "" });
        expect(loState(ctr.name).up).toBe(false);
      }
    });
  });

  test.each(PLUGIN_VERSIONS)("through cnitool at %s: add, check, del, del", async (cniVersion) => {
    const ws = await workspace("lo", { bin: dirname(binary), cnitool: CNITOOL });
    try {
      const cniPath = ws.pluginDir({ loopback: "ours" });
      ws.writeConflist("lo", { cniVersion, name: "lonet", plugins: [{ type: "loopback" }] });
      const added = await cnitool(ws, "add", "lonet", cniPath, { CNI_IFNAME: "lo" });
      expect(added).toMatchObject({ exitCode: 0, stderr: "" });
      expect(added.json).toMatchObject({ cniVersion, interfaces: [{ name: "lo", sandbox: ws.ctr.path }] });
      expect(loState(ws.ctr.name).up).toBe(true);
      if (supportsCheck(cniVersion)) expect(await cnitool(ws, "check", "lonet", cniPath, { CNI_IFNAME: "lo" })).toMatchObject({ exitCode: 0, stdout: "" });
      for (let i = 0; i < 2; i++) expect(await cnitool(ws, "del", "lonet", cniPath, { CNI_IFNAME: "lo" })).toMatchObject({ exitCode: 0 });
      expect(loState(ws.ctr.name).up).toBe(false);
    } finally {
      await ws.cleanup();
    }
  });

  test("CHECK fails when lo was set down after ADD", async () => {
    const ctr = await createTestNetns("lo");
    const base = { binary, netns: ctr.path, containerId: "lo-test", ifName: "lo" };
    const added = await execPluginBinary({ ...base, command: "ADD", config: config("1.1.0") });
    execFileSync("ip", ["-n", ctr.name, "link", "set", "lo", "down"]);
    const checked = await execPluginBinary({ ...base, command: "CHECK", config: config("1.1.0", { prevResult: added.json }) });
    expect(checked.exitCode).toBe(1);
    expect(checked.json).toMatchObject({ code: 999, msg: `lo is down in netns ${ctr.path}` });
  });

  test("chained after another plugin, ADD passes prevResult through", async () => {
    const ctr = await createTestNetns("lo");
    const prevResult = { cniVersion: "1.0.0", interfaces: [{ name: "eth0", sandbox: ctr.path }], ips: [{ interface: 0, address: "169.254.40.2/24" }] };
    const added = await execPluginBinary({ binary, netns: ctr.path, command: "ADD", config: config("1.0.0", { prevResult }) });
    expect(added.exitCode).toBe(0);
    expect(added.json).toEqual(prevResult);
    expect(loState(ctr.name).up).toBe(true);
  });

  test("a namespace that is gone: ADD is code 3, DEL succeeds", async () => {
    const ctr = await createTestNetns("lo");
    await ctr.remove();
    const added = await execPluginBinary({ binary, netns: ctr.path, ifName: "lo", command: "ADD", config: config("1.1.0") });
    expect(added.exitCode).toBe(1);
    expect(added.json).toMatchObject({ cniVersion: "1.1.0", code: 3, msg: `network namespace ${ctr.path} does not exist` });
    const deleted = await execPluginBinary({ binary, netns: ctr.path, command: "DEL", config: config("1.1.0") });
    expect(deleted).toMatchObject({ exitCode: 0, stdout: "" });
    const noNetns = await execPluginBinary({ binary, netns: "", command: "DEL", config: config("1.1.0") });
    expect(noNetns).toMatchObject({ exitCode: 0, stdout: "" });
    // What a runtime may leave behind: the mount point file without the namespace mounted on it.
    const leftover = await execPluginBinary({ binary, netns: "/etc/hostname", command: "DEL", config: config("1.1.0") });
    expect(leftover).toMatchObject({ exitCode: 0, stdout: "" });
  });

  test("in process through skel's dispatcher (loopback touches only CNI_NETNS, so this is safe)", async () => {
    const ctr = await createTestNetns("lo");
    const added = await runInProcess(runPlugin, loopbackPlugin, { command: "ADD", netns: ctr.path, ifName: "lo", config: config("1.1.0") });
    expect(added).toMatchObject({ exitCode: 0, stderr: "" });
    expect(added.json).toMatchObject({ interfaces: [{ name: "lo", sandbox: ctr.path }] });
    expect(loState(ctr.name).up).toBe(true);
    const checked = await runInProcess(runPlugin, loopbackPlugin, { command: "CHECK", netns: ctr.path, ifName: "lo", config: config("1.1.0", { prevResult: added.json }) });
    expect(checked).toMatchObject({ exitCode: 0, stdout: "" });
    expect((await runInProcess(runPlugin, loopbackPlugin, { command: "DEL", netns: ctr.path, config: config("1.1.0") })).exitCode).toBe(0);
    expect(loState(ctr.name).up).toBe(false);
  });

  test("standalone with CNI_IFNAME other than lo: ADD and CHECK fail with code 4 and touch nothing; DEL still succeeds", async () => {
    const ctr = await createTestNetns("lo");
    const base = { binary, netns: ctr.path, containerId: "lo-test", ifName: "eth0" };
    const added = await execPluginBinary({ ...base, command: "ADD", config: config("1.1.0") });
    expect(added.exitCode).toBe(1);
    expect(added.json).toMatchObject({ cniVersion: "1.1.0", code: 4, msg: 'CNI_IFNAME is "eth0": loopback configures only "lo"' });
    expect(loState(ctr.name).up).toBe(false);
    const checked = await execPluginBinary({ ...base, command: "CHECK", config: config("1.1.0") });
    expect(checked.json).toMatchObject({ code: 4 });
    expect(await execPluginBinary({ ...base, command: "DEL", config: config("1.1.0") })).toMatchObject({ exitCode: 0, stdout: "" });
  });

  test("STATUS reports ready", async () => {
    const run = await execPluginBinary({ binary, command: "STATUS", config: config("1.1.0") });
    expect(run).toMatchObject({ exitCode: 0, stdout: "" });
  });
});
