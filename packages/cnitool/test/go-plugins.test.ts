/**
 * Interop: our cnitool drives Debian's Go plugins (containernetworking-plugins
 * 1.1.1, spec up to 1.0.0) in throwaway namespaces. cnitool itself runs in a
 * "host" namespace of its own, so the bridge, veths and routes the plugins
 * create never touch the machine's root namespace.
 */
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { CNITOOL, inNs, Namespaces, nsPath, run, runtimeEnv } from "./helpers.js";

const skip = skipReason({ netns: true, commands: ["ip", "ping"], executables: ["/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback", "/usr/lib/cni/ptp", CNITOOL] });

describe.skipIf(skip)(`cnitool with Debian's Go plugins${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let ns: Namespaces;
  let dir: string;
  beforeEach(() => {
    ns = new Namespaces();
    dir = mkdtempSync(join(tmpdir(), "tscni-cnitool-go-"));
  });
  afterEach(() => {
    ns.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(conflist: object) {
    const confDir = join(dir, "net.d");
    const cacheDir = join(dir, "cache");
    run("mkdir", ["-p", confDir], runtimeEnv({}));
    writeFileSync(join(confDir, "10-test.conflist"), JSON.stringify(conflist));
    const host = ns.create("cnitool-host");
    const ctr = ns.create("cnitool-ctr");
    const env = runtimeEnv({ NETCONFPATH: confDir, CNI_PATH: "/usr/lib/cni", CNI_CACHE_DIR: cacheDir });
    const cnitool = (verb: string, net: string, extra: Record<string, string> = {}, flags: string[] = []) =>
      inNs(host, CNITOOL, [...flags, verb, net, nsPath(ctr)], { ...env, ...extra });
    return { host, ctr, cacheDir, cnitool };
  }

  function expectOk(r: { status: number | null; stdout: string; stderr: string }) {
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }

  it("bridge + host-local: ADD, CHECK, DEL, DEL again, and the container reaches its gateway", () => {
    const { ctr, cacheDir, cnitool } = setup({
      cniVersion: "1.0.0",
      name: "tscni-bridge",
      plugins: [
        {
          type: "bridge",
          bridge: "tscnibr0",
          isGateway: true,
          ipMasq: false,
          ipam: { type: "host-local", ranges: [[{ subnet: "169.254.50.0/24", gateway: "169.254.50.1" }]], dataDir: join(dir, "ipam") },
        },
      ],
    });
    const add = cnitool("add", "tscni-bridge");
    expectOk(add);
    const result = JSON.parse(add.stdout);
    expect(result.cniVersion).toBe("1.0.0");
    expect(result.ips).toEqual([{ address: "169.254.50.2/24", gateway: "169.254.50.1", interface: 2 }]);
    expect(result.interfaces.map((i: { name: string }) => i.name)).toContain("eth0");
    expect(readdirSync(join(cacheDir, "results"))).toHaveLength(1);

    const ping = run("ip", ["netns", "exec", ctr, "ping", "-c1", "-W1", "169.254.50.1"], runtimeEnv({}));
    expect(ping.status, ping.stdout + ping.stderr).toBe(0);

    expectOk(cnitool("check", "tscni-bridge"));
    // The bridge plugin's own CHECK failure comes through with its message once the interface is gone.
    expect(run("ip", ["-n", ctr, "link", "del", "eth0"], runtimeEnv({})).status).toBe(0);
    const broken = cnitool("check", "tscni-bridge");
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/^cnitool: plugin type="bridge" failed \(check\): .*eth0/);
    expectOk(cnitool("del", "tscni-bridge"));
    expect(readdirSync(join(cacheDir, "results"))).toEqual([]);
    expect(run("ip", ["-n", ctr, "link", "show", "eth0"], runtimeEnv({})).status).not.toBe(0);
    // host-local released the address: only its lock file and last-reserved marker remain.
    expect(readdirSync(join(dir, "ipam", "tscni-bridge")).filter((f) => f.startsWith("169.254"))).toEqual([]);
    expectOk(cnitool("del", "tscni-bridge"));
  });

  it("ptp + host-local with -i, and loopback: the container reaches the host end", () => {
    const { ctr, cnitool } = setup({
      cniVersion: "1.0.0",
      name: "tscni-ptp",
      plugins: [{ type: "ptp", ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: "169.254.60.0/24" }]], dataDir: join(dir, "ipam") } }],
    });
    writeFileSync(join(dir, "net.d", "20-lo.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "tscni-lo", plugins: [{ type: "loopback" }] }));
    // The flag wins over CNI_IFNAME.
    const add = cnitool("add", "tscni-ptp", { CNI_IFNAME: "ignored0" }, ["-i", "net1"]);
    expectOk(add);
    expect(JSON.parse(add.stdout).ips[0]).toMatchObject({ address: "169.254.60.2/24", gateway: "169.254.60.1" });
    const lo = cnitool("add", "tscni-lo", { CNI_IFNAME: "lo" });
    expectOk(lo);
    expect(JSON.parse(lo.stdout).interfaces[0].name).toBe("lo");
    const ping = run("ip", ["netns", "exec", ctr, "ping", "-c1", "-W1", "169.254.60.1"], runtimeEnv({}));
    expect(ping.status, ping.stdout + ping.stderr).toBe(0);
    for (const [net, ifName] of [["tscni-ptp", "net1"], ["tscni-lo", "lo"]] as const) {
      expectOk(cnitool("check", net, { CNI_IFNAME: ifName }));
      expectOk(cnitool("del", net, { CNI_IFNAME: ifName }));
      expectOk(cnitool("del", net, { CNI_IFNAME: ifName }));
    }
    expect(run("ip", ["-n", ctr, "link", "show", "net1"], runtimeEnv({})).status).not.toBe(0);
  });

  it.each(["0.1.0", "0.2.0"])("refuses the result Go's loopback 1.1.1 mislabels at spec %s, and still DELs", (cniVersion) => {
    // That loopback prints a 0.3-shaped result (interfaces, ips) labelled with the old version.
    // Go libcni parses it as an empty 0.2.0 result and silently drops the addresses; we say so instead.
    const { cnitool } = setup({ cniVersion, name: "tscni-lo", plugins: [{ type: "loopback" }] });
    const add = cnitool("add", "tscni-lo", { CNI_IFNAME: "lo" });
    expect(add.status).toBe(1);
    expect(add.stderr).toContain(`printed an invalid result: invalid CNI ${cniVersion} result`);
    expect(add.stderr).toContain("carries ip4/ip6, not interfaces");
    expectOk(cnitool("del", "tscni-lo", { CNI_IFNAME: "lo" }));
  });

  it.each(["0.3.0", "0.3.1", "0.4.0", "1.0.0"])("loopback at spec %s: ADD, CHECK where the version has it, DEL, DEL again", (cniVersion) => {
    const { ctr, cnitool } = setup({ cniVersion, name: "tscni-lo", plugins: [{ type: "loopback" }] });
    const add = cnitool("add", "tscni-lo", { CNI_IFNAME: "lo" });
    expectOk(add);
    const result = JSON.parse(add.stdout);
    expect(result.cniVersion).toBe(cniVersion);
    expect(result.ips.map((i: { address: string }) => i.address)).toContain("127.0.0.1/8");
    expect(run("ip", ["-n", ctr, "-o", "addr", "show", "lo"], runtimeEnv({})).stdout).toContain("127.0.0.1/8");
    const check = cnitool("check", "tscni-lo", { CNI_IFNAME: "lo" });
    if (cniVersion >= "0.4.0") expectOk(check);
    else {
      expect(check.status).toBe(1);
      expect(check.stderr).toContain(`configuration version "${cniVersion}" does not support the CHECK command`);
    }
    expectOk(cnitool("del", "tscni-lo", { CNI_IFNAME: "lo" }));
    expectOk(cnitool("del", "tscni-lo", { CNI_IFNAME: "lo" }));
  });

  it("gc DELs every cached attachment of the network through the Go plugins (1.0.0 list: no GC verb sent)", () => {
    const { host, ctr, cacheDir, cnitool } = setup({
      cniVersion: "1.0.0",
      name: "tscni-gc",
      plugins: [{ type: "ptp", ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: "169.254.61.0/24" }]], dataDir: join(dir, "ipam") } }],
    });
    const ctr2 = ns.create("cnitool-ctr");
    const env = runtimeEnv({ NETCONFPATH: join(dir, "net.d"), CNI_PATH: "/usr/lib/cni", CNI_CACHE_DIR: cacheDir });
    expectOk(cnitool("add", "tscni-gc"));
    expectOk(inNs(host, CNITOOL, ["add", "tscni-gc", nsPath(ctr2)], env));
    expect(readdirSync(join(cacheDir, "results"))).toHaveLength(2);
    // The netns argument is required but does not limit gc: every cached attachment of the network goes.
    expectOk(cnitool("gc", "tscni-gc"));
    expect(readdirSync(join(cacheDir, "results"))).toEqual([]);
    for (const c of [ctr, ctr2]) expect(run("ip", ["-n", c, "link", "show", "eth0"], runtimeEnv({})).status).not.toBe(0);
    expect(readdirSync(join(dir, "ipam", "tscni-gc")).filter((f) => f.startsWith("169.254"))).toEqual([]);
  });

  it("reports a Go plugin's own error with its code, on stderr, exit 1", () => {
    const { cnitool } = setup({
      cniVersion: "1.0.0",
      name: "tscni-badipam",
      plugins: [{ type: "bridge", bridge: "tscnibr1", ipam: { type: "host-local", ranges: [[{ subnet: "not-a-subnet" }]], dataDir: join(dir, "ipam") } }],
    });
    const r = cnitool("add", "tscni-badipam");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^cnitool: plugin type="bridge" failed \(add\): .*not-a-subnet/);
  });
});
