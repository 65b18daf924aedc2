/** Shared fixtures for skel's tests: environments, configs and a recording plugin. */
import { SPEC_VERSIONS } from "@tscni/types";
import type { CmdArgs, ResultInput } from "@tscni/skel";
import type { AnyPlugin } from "@tscni/skel";

export const VERSIONS = SPEC_VERSIONS;
export const AT_LEAST_040 = new Set(["0.4.0", "1.0.0", "1.1.0"]);
export const AT_LEAST_110 = new Set(["1.1.0"]);
export const LEGACY = new Set(["0.1.0", "0.2.0"]);

/** A namespace path that does not exist: passes the own-netns guard like a container's would. */
export const CONTAINER_NETNS = "/var/run/netns/tscni-skel-test-nonexistent";

export function envFor(verb: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const attachment = verb === "ADD" || verb === "DEL" || verb === "CHECK";
  return {
    CNI_COMMAND: verb,
    ...(attachment && { CNI_CONTAINERID: "ctr-1", CNI_NETNS: CONTAINER_NETNS, CNI_IFNAME: "eth0" }),
    CNI_PATH: "/opt/cni/bin:/usr/lib/cni",
    ...extra,
  };
}

export function configFor(version: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion: version, name: "testnet", type: "recorder", ...extra });
}

/** A prevResult in `version`'s own wire shape, carrying one IPv4 and one IPv6 address. */
export function prevResultIn(version: string): Record<string, unknown> {
  if (LEGACY.has(version)) {
    return { cniVersion: version, ip4: { ip: "169.254.1.2/16", gateway: "169.254.0.1" }, ip6: { ip: "fd00::2/64" }, dns: {} };
  }
  const withFamily = !version.startsWith("1.");
  return {
    cniVersion: version,
    interfaces: [{ name: "eth0", sandbox: CONTAINER_NETNS }],
    ips: [
      { ...(withFamily && { version: "4" }), interface: 0, address: "169.254.1.2/16", gateway: "169.254.0.1" },
      { ...(withFamily && { version: "6" }), interface: 0, address: "fd00::2/64" },
    ],
    routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1" }],
  };
}

export const SAMPLE_RESULT: ResultInput = {
  interfaces: [{ name: "eth0", mac: "0a:58:a9:fe:01:02", sandbox: CONTAINER_NETNS, mtu: 1400 }],
  ips: [
    { interface: 0, address: "169.254.1.2/16", gateway: "169.254.0.1" },
    { interface: 0, address: "fd00::2/64" },
  ],
  routes: [{ dst: "0.0.0.0/0", gw: "169.254.0.1", mtu: 1400 }],
  dns: { nameservers: ["169.254.0.53"] },
};

/** A plugin that records each call's CmdArgs and returns SAMPLE_RESULT from ADD. */
export function recorder(overrides: Partial<AnyPlugin> = {}): { plugin: AnyPlugin; calls: CmdArgs<any, any>[] } {
  const calls: CmdArgs<any, any>[] = [];
  const plugin: AnyPlugin = {
    add: (args) => {
      calls.push(args);
      return SAMPLE_RESULT;
    },
    del: (args) => {
      calls.push(args);
    },
    check: (args) => {
      calls.push(args);
    },
    gc: (args) => {
      calls.push(args);
    },
    status: (args) => {
      calls.push(args);
    },
    ...overrides,
  };
  return { plugin, calls };
}

/** The one error object a failed run printed. */
export function errorOf(json: unknown): { cniVersion?: string; code: number; msg: string; details?: string } {
  return json as { cniVersion?: string; code: number; msg: string; details?: string };
}
