/** portmap's config, in process: what is refused, with which code and field, before any nft command runs. */
import { runPlugin } from "@tscni/skel/testing";
import { describe, expect, test } from "vitest";
import { portmapPlugin } from "../src/plugin.js";

const prevResult = { cniVersion: "1.1.0", interfaces: [{ name: "eth0", sandbox: "/run/netns/x" }], ips: [{ address: "169.254.64.2/24", interface: 0 }] };

function add(extra: Record<string, unknown>) {
  return runPlugin(portmapPlugin, {
    env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/run/netns/tscni-portmap-unused", CNI_IFNAME: "eth0", CNI_PATH: "/nowhere" },
    stdin: { cniVersion: "1.1.0", name: "pm", type: "portmap", prevResult, ...extra },
  });
}

const mapping = (m: Record<string, unknown>) => ({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, ...m }] } });

describe("portmap refuses what it cannot do safely, naming the field", () => {
  test.each([
    [mapping({ hostPort: 0 }), 7, "runtimeConfig.portMappings[0].hostPort"],
    [mapping({ containerPort: 65536 }), 7, "runtimeConfig.portMappings[0].containerPort"],
    [mapping({ protocol: "icmp" }), 7, "runtimeConfig.portMappings[0].protocol"],
    [mapping({ hostIP: "1.2.3.4 accept" }), 7, "runtimeConfig.portMappings[0].hostIP"],
    [{ ...mapping({}), conditionsV4: ["-m", "comment"] }, 2, "conditionsV4[0]"],
    [{ ...mapping({}), conditionsV4: ["-s", "not-a-net"] }, 7, "conditionsV4[1]"],
    [{ ...mapping({}), conditionsV4: ["-s", "fd00::/8"] }, 7, "not an IPv4 network"],
    [{ ...mapping({}), backend: "iptables" }, 2, "backend"],
  ])("%j: code %i naming %s", async (extra, code, field) => {
    const run = await add(extra);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code, msg: expect.stringContaining(field) });
  });

  test("ADD without prevResult is refused: portmap is a chained plugin", async () => {
    const run = await runPlugin(portmapPlugin, {
      env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/run/netns/x", CNI_IFNAME: "eth0", CNI_PATH: "/nowhere" },
      stdin: { cniVersion: "1.1.0", name: "pm", type: "portmap" },
    });
    expect(run.json).toMatchObject({ code: 7, msg: expect.stringContaining("chained plugin") });
  });

  test("without mappings, ADD passes prevResult through and touches nothing", async () => {
    const run = await add({});
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.json).toMatchObject({ ips: [{ address: "169.254.64.2/24" }] });
  });
});
