/** tuning against a real interface in a throwaway namespace, exec'd as a runtime would. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestNetns, createTestNetns, execPluginBinary, removeAllTestNetns } from "@tscni/netns/testkit";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { pluginPath } from "../../../test/support/plugin-bin.js";

const OURS = pluginPath("tuning");
const skip = skipReason({ netns: true, executables: [OURS] });

interface LinkJson {
  mtu: number;
  address: string;
  flags: string[];
  promiscuity: number;
}

function linkOf(ns: TestNetns): LinkJson {
  return (JSON.parse(execFileSync("ip", ["-n", ns.name, "-d", "-j", "link", "show", "dev", "eth0"], { encoding: "utf8" })) as LinkJson[])[0]!;
}

describe.skipIf(skip)(`tuning in a namespace${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let ctr: TestNetns;
  let dataDir: string;
  const scratch: string[] = [];
  beforeEach(async () => {
    ctr = await createTestNetns("tune");
    execFileSync("ip", ["-n", ctr.name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]);
    execFileSync("ip", ["-n", ctr.name, "link", "set", "eth0", "address", "02:00:00:00:00:01", "up"]);
    dataDir = mkdtempSync(join(tmpdir(), "tscni-tuning-"));
    scratch.push(dataDir);
  });
  afterEach(() => removeAllTestNetns());
  afterAll(() => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  const prevResult = () => ({ cniVersion: "1.1.0", interfaces: [{ name: "eth0", mac: "02:00:00:00:00:01", sandbox: ctr.path }], ips: [{ address: "169.254.65.2/24", interface: 0 }] });
  const config = (extra: Record<string, unknown> = {}) => ({
    cniVersion: "1.1.0",
    name: "tunenet",
    type: "tuning",
    dataDir,
    sysctl: { "net.ipv4.conf.eth0.arp_ignore": "1" },
    mtu: 1400,
    mac: "02:00:00:00:00:42",
    promisc: true,
    allmulti: true,
    prevResult: prevResult(),
    ...extra,
  });
  const run = (command: string, cfg: object) => execPluginBinary({ binary: OURS, command, config: cfg, netns: ctr.path, containerId: "tune1" });

  it("ADD tunes, CHECK agrees, CHECK catches a change by hand, DEL restores, DEL again succeeds", async () => {
    const add = await run("ADD", config());
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(add.json).toMatchObject({ interfaces: [{ name: "eth0", mac: "02:00:00:00:00:42" }] });
    const link = linkOf(ctr);
    expect(link.mtu).toBe(1400);
    expect(link.address).toBe("02:00:00:00:00:42");
    expect(link.promiscuity).toBeGreaterThan(0);
    expect(link.flags).toContain("ALLMULTI");
    expect(execFileSync("ip", ["netns", "exec", ctr.name, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"], { encoding: "utf8" }).trim()).toBe("1");

    expect((await run("CHECK", config({ prevResult: add.json }))).exitCode).toBe(0);
    execFileSync("ip", ["-n", ctr.name, "link", "set", "eth0", "mtu", "1500"]);
    const tampered = await run("CHECK", config({ prevResult: add.json }));
    expect(tampered.json).toMatchObject({ code: 999, details: expect.stringContaining("mtu of eth0 is 1500, want 1400") });

    // A retried ADD keeps the originals from before the first one.
    expect((await run("ADD", config())).exitCode).toBe(0);
    for (let i = 0; i < 2; i++) {
      const del = await run("DEL", config());
      expect(del.exitCode, del.stdout).toBe(0);
    }
    const restored = linkOf(ctr);
    expect(restored.mtu).toBe(1500);
    expect(restored.address).toBe("02:00:00:00:00:01");
    expect(restored.promiscuity).toBe(0);
    expect(restored.flags).not.toContain("ALLMULTI");
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("runtimeConfig.mac (the mac capability) wins over the config's mac", async () => {
    const add = await run("ADD", config({ runtimeConfig: { mac: "02:00:00:00:00:99" } }));
    expect(add.exitCode, add.stdout).toBe(0);
    expect(linkOf(ctr).address).toBe("02:00:00:00:00:99");
  });

  it("DEL when the namespace is gone succeeds and forgets the backup", async () => {
    expect((await run("ADD", config())).exitCode).toBe(0);
    await ctr.remove();
    const del = await run("DEL", config());
    expect(del.exitCode, del.stdout).toBe(0);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("a link planted under the backup's name is never written through, and DEL still succeeds", async () => {
    const victim = join(dataDir, "victim");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(dataDir, "tune1-eth0.json"));
    expect((await run("ADD", config())).exitCode).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect((await run("DEL", config())).exitCode).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(existsSync(join(dataDir, "tune1-eth0.json"))).toBe(true);
  });

  it.each([
    [{ sysctl: { "kernel.panic": "1" } }, "only keys under net."],
    [{ sysctl: { "net/ipv4/../../kernel/panic": "1" } }, "not a sysctl key"],
    [{ sysctl: { "net.ipv4.conf.lo.arp_ignore": "1" } }, "names interface lo"],
    [{ sysctl: { "net.ipv4.ip_forward": "1\n0" } }, "printable ASCII"],
    [{ mac: "nope" }, "mac: not a MAC address"],
    [{ mtu: 10 }, "mtu"],
    [{ dataDir: "relative" }, "dataDir: not an absolute path"],
  ])("%j is refused with code 7 and changes nothing", async (extra, message) => {
    const before = linkOf(ctr);
    const add = await run("ADD", config(extra));
    expect(add.exitCode).toBe(1);
    expect(add.json).toMatchObject({ code: 7 });
    expect(JSON.stringify(add.json)).toContain(message);
    expect(linkOf(ctr)).toEqual(before);
  });
});
