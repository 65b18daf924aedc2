/**
 * The chain a default container network needs, on our plugins: bridge with
 * ipMasq + host-local + portmap + tuning + bandwidth, driven by our cnitool
 * and by Go's libcni, in throwaway namespaces; and our nftables plugins side
 * by side with Debian's Go plugins (iptables-nft) in one host namespace.
 * An "outside" namespace joined to the host by a veth plays another machine.
 * Only 169.254.0.0/16 and fd00::/8.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type TestNetns, type Workspace, cnitool, createTestNetns, leases, workspacePool } from "@tscni/netns/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildGoDriver, runDriver } from "../packages/libcni/test/go-driver.js";
import { skipReason } from "./support/prereq.js";

const execFileAsync = promisify(execFile);
const PEER = resolve(import.meta.dirname, "support/peer.mjs");
const distBin = resolve(import.meta.dirname, "../dist/bin");
const CHAIN = ["bridge", "host-local", "portmap", "tuning", "bandwidth"] as const;
const skip = skipReason({
  netns: true,
  commands: ["nft", "tc", "go", "iptables"],
  executables: [join(distBin, "cnitool"), ...CHAIN.map((p) => join(distBin, p)), ...["bridge", "host-local", "portmap"].map((p) => `/usr/lib/cni/${p}`)],
});

const pool = workspacePool("dflt", { bin: distBin });
const servers: ChildProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.kill("SIGKILL");
  await pool.removeAll();
});

async function inNs(ns: TestNetns, args: string[]): Promise<string> {
  return (await execFileAsync("ip", ["netns", "exec", ns.name, ...args])).stdout;
}

/** Runs the peer server (answers "<name> <peer address>" on TCP 80 and UDP 53) inside `ns`. */
async function serve(ns: TestNetns, name: string): Promise<void> {
  await inNs(ns, ["ip", "link", "set", "lo", "up"]);
  const server = spawn("ip", ["netns", "exec", ns.name, process.execPath, PEER, "serve", name], { stdio: ["ignore", "pipe", "inherit"] });
  servers.push(server);
  await new Promise<void>((ready) => server.stdout!.once("data", () => ready()));
}

async function ask(from: TestNetns, address: string, port: number): Promise<string | undefined> {
  try {
    return (await inNs(from, [process.execPath, PEER, "ask", "tcp", address, String(port)])).trim().replace(/ ::ffff:/, " ");
  } catch {
    return undefined;
  }
}

/** The outside: 169.254.95.2 on a veth whose host end is 169.254.95.1, with the peer server running. */
async function outside(ws: Workspace): Promise<TestNetns> {
  const out = await createTestNetns("dflt-out");
  await execFileAsync("ip", ["-n", ws.host.name, "link", "add", "out0", "type", "veth", "peer", "name", "eth0", "netns", out.name]);
  for (const [ns, dev, v4] of [[ws.host, "out0", "169.254.95.1"], [out, "eth0", "169.254.95.2"]] as const) {
    await inNs(ns, ["ip", "addr", "add", `${v4}/24`, "dev", dev]);
    await inNs(ns, ["ip", "link", "set", dev, "up"]);
  }
  await inNs(ws.host, ["ip", "link", "set", "lo", "up"]);
  await serve(out, "outside");
  return out;
}

function ipam(ws: Workspace, subnet: string, gw: string, subnet6?: string): object {
  return { type: "host-local", dataDir: ws.ipamData, ranges: [[{ subnet }], ...(subnet6 ? [[{ subnet: subnet6 }]] : [])], routes: [{ dst: "169.254.0.0/16", gw }] };
}

function defaultChain(ws: Workspace, cniVersion: string): object {
  return {
    cniVersion,
    name: "dflt",
    plugins: [
      { type: "bridge", bridge: "dfltbr0", isGateway: true, ipMasq: true, ipam: ipam(ws, "169.254.73.0/24", "169.254.73.1") },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "tuning", mtu: 1400, sysctl: { "net.ipv4.conf.eth0.arp_ignore": "1" }, dataDir: join(ws.dir, "tuning") },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  };
}

const CAPS = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  bandwidth: { ingressRate: 50_000_000, ingressBurst: 400_000, egressRate: 50_000_000, egressBurst: 400_000 },
};

async function rulesOfOurs(ws: Workspace): Promise<number> {
  const listing = JSON.parse(await inNs(ws.host, ["nft", "-j", "list", "ruleset"])) as { nftables: { rule?: { table: string } }[] };
  return listing.nftables.filter((i) => i.rule?.table.startsWith("tscni-")).length;
}

async function ifbDevices(ws: Workspace): Promise<string[]> {
  const links = JSON.parse(await inNs(ws.host, ["ip", "-j", "link", "show"])) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((n) => /^bw[0-9a-f]{13}$/.test(n));
}

/** What every attachment of the default chain must show: masquerade, a reachable host port, the MTU, a shaped veth. */
async function expectChainWorks(ws: Workspace, out: TestNetns): Promise<void> {
  expect(await ask(ws.ctr, "169.254.95.2", 80)).toBe("outside 169.254.95.1");
  expect(await ask(out, "169.254.95.1", 8080)).toBe("ctr 169.254.95.2");
  expect(await inNs(ws.ctr, ["ip", "-o", "link", "show", "dev", "eth0"])).toContain("mtu 1400");
  expect(await inNs(ws.host, ["tc", "qdisc", "show"])).toMatch(/qdisc tbf .* dev veth/);
}

async function expectNothingLeft(ws: Workspace): Promise<void> {
  expect(await rulesOfOurs(ws)).toBe(0);
  expect(await ifbDevices(ws)).toEqual([]);
  expect(leases(ws, "dflt")).toEqual([]);
  expect(readdirSync(join(ws.dir, "tuning"))).toEqual([]);
}

describe.skipIf(skip)(`the default chain on our plugins${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("through our cnitool: ADD, masquerade, host port, MTU, shaping, CHECK, tamper caught, DEL twice, GC of a stale attachment", { timeout: 120_000 }, async () => {
    const ws = await pool.create();
    const out = await outside(ws);
    await serve(ws.ctr, "ctr");
    ws.writeConflist("dflt", defaultChain(ws, "1.1.0"));
    const cniPath = ws.pluginDir(Object.fromEntries(CHAIN.map((p) => [p, "ours"])));
    const env = { CAP_ARGS: JSON.stringify(CAPS) };
    const add = await cnitool(ws, "add", "dflt", cniPath, env);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    await expectChainWorks(ws, out);
    expect((await cnitool(ws, "check", "dflt", cniPath, env)).exitCode).toBe(0);

    await inNs(ws.host, ["nft", "flush", "chain", "inet", "tscni-portmap", "prerouting"]);
    const tampered = await cnitool(ws, "check", "dflt", cniPath, env);
    expect(tampered.exitCode).toBe(1);
    expect(tampered.stdout + tampered.stderr).toContain("missing in chain prerouting");

    for (let i = 0; i < 2; i++) {
      const del = await cnitool(ws, "del", "dflt", cniPath, env);
      expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    }
    await expectNothingLeft(ws);

    // A stale attachment: ADD, then the runtime loses track of it (its cache entry gone); GC must clean up after it.
    expect((await cnitool(ws, "add", "dflt", cniPath, env)).exitCode).toBe(0);
    rmSync(join(ws.cache, "results"), { recursive: true, force: true });
    expect(await rulesOfOurs(ws)).toBeGreaterThan(0);
    const gc = await cnitool(ws, "gc", "dflt", cniPath, env);
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(await rulesOfOurs(ws)).toBe(0);
    expect(leases(ws, "dflt")).toEqual([]);
  });

  describe("through Go's libcni", () => {
    let buildDir: string;
    let driver: string;
    beforeAll(() => {
      buildDir = mkdtempSync(join(tmpdir(), "tscni-dflt-go-"));
      driver = buildGoDriver(buildDir);
    }, 120_000);
    afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

    test("ADD, masquerade, host port, MTU, shaping, CHECK, DEL twice", { timeout: 120_000 }, async () => {
      const ws = await pool.create();
      const out = await outside(ws);
      await serve(ws.ctr, "ctr");
      const conf = join(ws.dir, "dflt.conflist");
      writeFileSync(conf, JSON.stringify(defaultChain(ws, "1.0.0")));
      const cniPath = ws.pluginDir(Object.fromEntries(CHAIN.map((p) => [p, "ours"])));
      const call = (verb: string) => runDriver(driver, verb, { conf, cache: ws.cache, netns: ws.ctr.path, cid: "go-dflt", cniPath, inNetns: ws.host.name, caps: CAPS });
      const add = call("add");
      expect(add.status, add.stderr).toBe(0);
      await expectChainWorks(ws, out);
      const check = call("check");
      expect(check.status, check.stderr).toBe(0);
      for (let i = 0; i < 2; i++) {
        const del = call("del");
        expect(del.status, del.stderr).toBe(0);
      }
      await expectNothingLeft(ws);
    });
  });

  test("side by side with Go in one host: Go's bridge + our portmap, our bridge + Go's portmap", { timeout: 120_000 }, async () => {
    const ws = await pool.create();
    const out = await outside(ws);
    const second = await createTestNetns("dflt-c2");
    await serve(ws.ctr, "ctr");
    await serve(second, "second");
    const networks = [
      { name: "mixa", ctr: ws.ctr, port: 8091, plugins: { bridge: "go", "host-local": "go", portmap: "ours" } as const, bridge: { bridge: "mixabr0", subnet: "169.254.74.0/24", gw: "169.254.74.1", subnet6: "fd00:74::/64" } },
      { name: "mixb", ctr: second, port: 8092, plugins: { bridge: "ours", "host-local": "ours", portmap: "go" } as const, bridge: { bridge: "mixbbr0", subnet: "169.254.75.0/24", gw: "169.254.75.1", subnet6: "fd00:75::/64" } },
    ];
    const run = async (verb: string, n: (typeof networks)[number]) => {
      const env = { PATH: "/usr/bin:/usr/sbin:/bin:/sbin", NETCONFPATH: join(ws.dir, n.name), CNI_PATH: ws.pluginDir(n.plugins), CAP_ARGS: JSON.stringify({ portMappings: [{ hostPort: n.port, containerPort: 80, protocol: "tcp" }] }) };
      try {
        return await execFileAsync("nsenter", [`--net=${ws.host.path}`, "--", join(distBin, "cnitool"), "--cache-dir", ws.cache, verb, n.name, n.ctr.path], { env });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        throw new Error(`cnitool ${verb} ${n.name}: ${err.stdout ?? ""}${err.stderr ?? ""}`);
      }
    };
    for (const n of networks) {
      const dir = join(ws.dir, n.name);
      rmSync(dir, { recursive: true, force: true });
      await execFileAsync("mkdir", ["-p", dir]);
      writeFileSync(
        join(dir, `10-${n.name}.conflist`),
        JSON.stringify({
          cniVersion: "1.0.0",
          name: n.name,
          plugins: [
            { type: "bridge", bridge: n.bridge.bridge, isGateway: true, ipam: ipam(ws, n.bridge.subnet, n.bridge.gw, n.bridge.subnet6) },
            { type: "portmap", capabilities: { portMappings: true } },
          ],
        }),
      );
      await run("add", n);
    }
    expect(await ask(out, "169.254.95.1", 8091)).toBe("ctr 169.254.95.2");
    expect(await ask(out, "169.254.95.1", 8092)).toBe("second 169.254.95.2");
    // CHECK of our portmap only: Debian's Go portmap (1.1.1) looks for its IPv4 rules in the IPv6 table and fails
    // its own CHECK whatever the bridge (seen here with both address families and with IPv4 alone).
    await run("check", networks[0]!);
    await run("del", networks[0]!);
    expect(await ask(out, "169.254.95.1", 8091)).toBeUndefined();
    expect(await ask(out, "169.254.95.1", 8092)).toBe("second 169.254.95.2");
    await run("del", networks[1]!);
    expect(await ask(out, "169.254.95.1", 8092)).toBeUndefined();
    expect(await rulesOfOurs(ws)).toBe(0);
  });
});
