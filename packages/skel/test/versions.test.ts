/**
 * Every verb at every spec version: what is printed, in which shape, with
 * which cniVersion, and which verbs the version gates.
 */
import { describe, expect, it } from "vitest";
import { runPlugin } from "@tscni/skel/testing";
import { pluginSupports } from "@tscni/version";
import { CniError } from "@tscni/types";
import { AT_LEAST_040, AT_LEAST_110, LEGACY, VERSIONS, configFor, envFor, errorOf, prevResultIn, recorder } from "./helpers.js";

describe.each(VERSIONS)("cniVersion %s", (version) => {
  it("ADD prints the handler's result converted to the config's version", async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor(version) });
    expect(run.exitCode).toBe(0);
    expect(calls).toHaveLength(1);
    const out = run.json as Record<string, unknown>;
    expect(out.cniVersion).toBe(version);
    if (LEGACY.has(version)) {
      expect(out).toMatchObject({ ip4: { ip: "169.254.1.2/16", gateway: "169.254.0.1" }, ip6: { ip: "fd00::2/64" } });
      expect(out).not.toHaveProperty("ips");
    } else if (version.startsWith("0.")) {
      expect(out.ips).toEqual([
        { version: "4", interface: 0, address: "169.254.1.2/16", gateway: "169.254.0.1" },
        { version: "6", interface: 0, address: "fd00::2/64" },
      ]);
      // 0.x interfaces have no mtu.
      expect((out.interfaces as object[])[0]).not.toHaveProperty("mtu");
    } else {
      expect(out.ips).toEqual([
        { interface: 0, address: "169.254.1.2/16", gateway: "169.254.0.1" },
        { interface: 0, address: "fd00::2/64" },
      ]);
      expect((out.interfaces as object[])[0]).toMatchObject({ name: "eth0", mtu: 1400 });
    }
    // Exactly one document, and nothing else on stdout.
    expect(run.stdout.trim().startsWith("{")).toBe(true);
    expect(() => JSON.parse(run.stdout)).not.toThrow();
  });

  it("ADD hands the handler the environment, the config and a prevResult in the 1.1.0 model", async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, {
      env: envFor("ADD", { CNI_ARGS: "K8S_POD_NAME=web;IgnoreUnknown=1", CNI_PATH: "/a::/b:" }),
      stdin: configFor(version, { prevResult: prevResultIn(version), runtimeConfig: { mac: "0a:58:00:00:00:01" }, mtu: 1400 }),
    });
    expect(run.exitCode).toBe(0);
    const args = calls[0]!;
    expect(args).toMatchObject({
      command: "ADD",
      containerId: "ctr-1",
      ifName: "eth0",
      rawArgs: "K8S_POD_NAME=web;IgnoreUnknown=1",
      args: { K8S_POD_NAME: "web", IgnoreUnknown: "1" },
      path: ["/a", "/b"],
      runtimeConfig: { mac: "0a:58:00:00:00:01" },
      validAttachments: [],
    });
    expect(args.config).toMatchObject({ cniVersion: version, name: "testnet", type: "recorder", mtu: 1400 });
    expect(args.stdin).toBe(configFor(version, { prevResult: prevResultIn(version), runtimeConfig: { mac: "0a:58:00:00:00:01" }, mtu: 1400 }));
    expect(args.prevResult?.cniVersion).toBe("1.1.0");
    expect(args.prevResult?.ips?.map((ip) => ip.address)).toEqual(["169.254.1.2/16", "fd00::2/64"]);
    for (const ip of args.prevResult?.ips ?? []) expect(ip).not.toHaveProperty("version");
  });

  it("a prevResult without cniVersion is read in the config's version", async () => {
    const { plugin, calls } = recorder();
    const { cniVersion: _drop, ...bare } = prevResultIn(version);
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor(version, { prevResult: bare }) });
    expect(run.exitCode).toBe(0);
    expect(calls[0]!.prevResult?.ips?.[0]?.address).toBe("169.254.1.2/16");
  });

  it("DEL prints nothing on success", async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("DEL", { CNI_NETNS: "" }), stdin: configFor(version) });
    expect(run).toMatchObject({ exitCode: 0, stdout: "" });
    expect(calls[0]).toMatchObject({ command: "DEL", netns: "" });
  });

  it(`CHECK is ${AT_LEAST_040.has(version) ? "served" : "refused (needs 0.4.0)"}`, async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("CHECK"), stdin: configFor(version) });
    if (AT_LEAST_040.has(version)) {
      expect(run).toMatchObject({ exitCode: 0, stdout: "" });
      expect(calls).toHaveLength(1);
    } else {
      expect(run.exitCode).toBe(1);
      expect(run.json).toMatchObject({ cniVersion: version, code: 1, msg: "config version does not allow CHECK" });
      expect(calls).toHaveLength(0);
    }
  });

  for (const verb of ["GC", "STATUS"] as const) {
    it(`${verb} is ${AT_LEAST_110.has(version) ? "served" : "refused (needs 1.1.0)"}`, async () => {
      const { plugin, calls } = recorder();
      const run = await runPlugin(plugin, { env: envFor(verb), stdin: configFor(version) });
      if (AT_LEAST_110.has(version)) {
        expect(run).toMatchObject({ exitCode: 0, stdout: "" });
        expect(calls).toHaveLength(1);
      } else {
        expect(run.exitCode).toBe(1);
        expect(run.json).toMatchObject({ cniVersion: version, code: 1, msg: `config version does not allow ${verb}` });
        expect(calls).toHaveLength(0);
      }
    });
  }

  it("VERSION echoes the asked version and lists every supported one", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: JSON.stringify({ cniVersion: version }) });
    expect(run.exitCode).toBe(0);
    expect(run.json).toEqual({ cniVersion: version, supportedVersions: [...VERSIONS] });
  });

  it("a handler's CniError keeps its code and carries the config's version", async () => {
    const { plugin } = recorder({
      add: () => {
        throw new CniError(11, "try again later", "the store is locked");
      },
    });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor(version) });
    expect(run.exitCode).toBe(1);
    expect(run.json).toEqual({ cniVersion: version, code: 11, msg: "try again later", details: "the store is locked" });
  });

  it("any other thrown error becomes code 999 with its message and no stack", async () => {
    const { plugin } = recorder({
      del: () => {
        throw new TypeError("cannot read properties of undefined");
      },
    });
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor(version) });
    expect(run.exitCode).toBe(1);
    expect(run.json).toEqual({ cniVersion: version, code: 999, msg: "cannot read properties of undefined" });
    expect(run.stdout).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it("a config version the plugin does not list is code 1 naming both sides", async () => {
    const others = VERSIONS.filter((v) => v !== version);
    const { plugin, calls } = recorder({ versions: pluginSupports(...others) });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor(version) });
    expect(run.exitCode).toBe(1);
    const error = errorOf(run.json);
    expect(error).toMatchObject({ code: 1, msg: "incompatible CNI versions" });
    expect(error.details).toBe(`config is "${version}", plugin supports [${others.map((v) => `"${v}"`).join(" ")}]`);
    // The config's version is not one the plugin speaks: the error uses its newest.
    expect(error.cniVersion).toBe(others.at(-1));
    expect(calls).toHaveLength(0);
  });

  it.each([
    ["missing variables", { CNI_COMMAND: "ADD" }, {}, 4, "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing"],
    ["an invalid interface name", envFor("DEL", { CNI_IFNAME: "a:b" }), {}, 4, "interface name contains / or : or whitespace characters"],
    ["an unknown verb", { CNI_COMMAND: "FROB" }, {}, 4, "unknown CNI_COMMAND: FROB"],
    ["a bad network name", envFor("DEL"), { name: "bad name" }, 7, "invalid characters found in network name"],
    ["a missing type", envFor("DEL"), { type: undefined }, 7, "invalid network configuration"],
    ["the plugin's own netns", envFor("ADD", { CNI_NETNS: "/proc/self/ns/net" }), {}, 8, "plugin's netns and netns from CNI_NETNS should not be the same"],
  ] as const)("%s: the error is reported in the config's version", async (_name, env, extra, code, msg) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env, stdin: configFor(version, extra) });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ cniVersion: version, code, msg });
    expect(calls).toHaveLength(0);
  });

  if (LEGACY.has(version)) {
    it("an ADD result with no IP cannot be expressed in 0.x.0 and is an error, not an empty result", async () => {
      const { plugin } = recorder({ add: () => ({ interfaces: [{ name: "eth0" }] }) });
      const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor(version) });
      expect(run.exitCode).toBe(1);
      expect(errorOf(run.json)).toMatchObject({ cniVersion: version, code: 1 });
    });
  }
});
