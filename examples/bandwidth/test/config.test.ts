/** bandwidth's limits, in process: what is refused, with which code and field, before any tc command runs. */
import { runPlugin } from "@tscni/skel/testing";
import { expect, test } from "vitest";
import { bandwidthPlugin } from "../src/plugin.js";

const prevResult = { cniVersion: "1.1.0", interfaces: [{ name: "eth0", sandbox: "/run/netns/x" }], ips: [{ address: "169.254.66.2/24", interface: 0 }] };

test.each([
  [{ ingressRate: 1_000_000 }, "ingressBurst: required when ingressRate is set"],
  [{ egressBurst: 80_000 }, "egressRate: required when egressBurst is set"],
  [{ ingressRate: 10, ingressBurst: 80_000 }, "ingressRate: must be a whole number from 1000"],
  [{ egressRate: 1.5e6 + 0.5, egressBurst: 80_000 }, "egressRate: must be a whole number"],
  [{ runtimeConfig: { bandwidth: { ingressRate: 1_000_000, ingressBurst: 8 } } }, "runtimeConfig.bandwidth.ingressBurst"],
])("%j is refused with code 7 naming the field", async (extra, message) => {
  const run = await runPlugin(bandwidthPlugin, {
    env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/run/netns/tscni-bw-unused", CNI_IFNAME: "eth0", CNI_PATH: "/nowhere" },
    stdin: { cniVersion: "1.1.0", name: "bw", type: "bandwidth", prevResult, ...extra },
  });
  expect(run.exitCode).toBe(1);
  expect(run.json).toMatchObject({ code: 7, msg: expect.stringContaining(message) });
});

test("no limits: ADD passes prevResult through and runs nothing", async () => {
  const run = await runPlugin(bandwidthPlugin, {
    env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/run/netns/tscni-bw-unused", CNI_IFNAME: "eth0", CNI_PATH: "/nowhere" },
    stdin: { cniVersion: "1.1.0", name: "bw", type: "bandwidth", prevResult },
  });
  expect(run.exitCode, run.stdout).toBe(0);
  expect(run.json).toMatchObject({ ips: [{ address: "169.254.66.2/24" }] });
});
