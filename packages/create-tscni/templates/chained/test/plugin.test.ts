// In-process tests: skel's dispatcher runs the plugin as a runtime's exec would, without a process or root.
import { runPlugin } from "@tscni/skel/testing";
import { describe, expect, test } from "vitest";
import { plugin } from "../src/plugin.js";

const env = (command: string) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/nowhere",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
});
const config = { cniVersion: "1.1.0", name: "net", type: "__NAME__", mtu: 1400 };

describe("__NAME__ in process", () => {
  test("VERSION lists the versions it speaks", async () => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: { cniVersion: "1.1.0" } });
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ supportedVersions: expect.arrayContaining(["1.1.0"]) });
  });

  test("ADD without prevResult is a config mistake (code 7)", async () => {
    const run = await runPlugin(plugin, { env: env("ADD"), stdin: config });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: 7 });
  });

  test("an MTU out of range is refused (code 7) and names the field", async () => {
    const run = await runPlugin(plugin, { env: env("ADD"), stdin: { ...config, mtu: 20 } });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.stdout).toContain("mtu");
  });

  test("DEL succeeds when the namespace is gone", async () => {
    const run = await runPlugin(plugin, { env: env("DEL"), stdin: config });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });
});
