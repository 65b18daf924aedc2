// In-process tests: skel's dispatcher runs the plugin as a runtime's exec would, without a process or root.
import { runPlugin } from "@tscni/skel/testing";
import { describe, expect, test } from "vitest";
import { plugin } from "../src/plugin.js";

const env = (command: string) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/nowhere",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/nonexistent",
});
const config = { cniVersion: "1.1.0", name: "net", type: "__NAME__", ipam: { type: "host-local", subnet: "169.254.30.0/24" } };

describe("__NAME__ in process", () => {
  test("VERSION lists the versions it speaks", async () => {
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: { cniVersion: "1.1.0" } });
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ supportedVersions: expect.arrayContaining(["1.1.0"]) });
  });

  test("a config without ipam is refused with code 7 naming the field", async () => {
    const { ipam: _, ...noIpam } = config;
    const run = await runPlugin(plugin, { env: env("ADD"), stdin: noIpam });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.stdout).toContain("ipam");
  });

  test("ADD into a namespace that does not exist fails with an error object, not a crash", async () => {
    const run = await runPlugin(plugin, { env: env("ADD"), stdin: config });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
  });
});
