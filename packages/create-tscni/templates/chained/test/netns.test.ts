// Real namespaces: skipped with the reason when not root, a failure under CI=true.
import { createTestNetns, requireNetns, runInProcess } from "@tscni/netns/testkit";
import { runPlugin } from "@tscni/skel/testing";
import { describe, expect, test } from "vitest";
import { plugin } from "../src/plugin.js";

const skip = requireNetns();

describe.skipIf(skip)(`__NAME__ in a namespace${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("ADD sets the MTU, CHECK sees it and catches a change, DEL twice succeeds", async () => {
    await using container = await createTestNetns("mtu");
    // What an interface plugin would have left: eth0 in the container (both ends of a veth pair, so no module
    // beyond veth is needed).
    await container.ns.ip(["link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"]);
    const prevResult = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", sandbox: container.path }],
      ips: [{ interface: 0, address: "169.254.10.2/24" }],
    };
    const config = { cniVersion: "1.1.0", name: "net", type: "__NAME__", mtu: 1400, prevResult };
    const inv = { config, netns: container.path, containerId: "c1", ifName: "eth0" };

    const added = await runInProcess(runPlugin, plugin, { ...inv, command: "ADD" });
    expect(added.exitCode, added.stdout).toBe(0);
    expect(added.json).toMatchObject({ interfaces: [{ name: "eth0", mtu: 1400 }], ips: [{ address: "169.254.10.2/24" }] });
    expect((await container.ns.link("eth0"))?.mtu).toBe(1400);

    const checkConfig = { ...config, prevResult: added.json as object };
    expect((await runInProcess(runPlugin, plugin, { ...inv, config: checkConfig, command: "CHECK" })).exitCode).toBe(0);
    await container.ns.setLink("eth0", { mtu: 1500 });
    const tampered = await runInProcess(runPlugin, plugin, { ...inv, config: checkConfig, command: "CHECK" });
    expect(tampered.exitCode).toBe(1);
    expect(tampered.stdout).toContain("MTU 1500");

    for (let i = 0; i < 2; i++) expect((await runInProcess(runPlugin, plugin, { ...inv, command: "DEL" })).exitCode).toBe(0);
  });
});
