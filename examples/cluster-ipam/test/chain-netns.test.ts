/**
 * cluster-ipam where it lives: delegated to by a bridge on two simulated
 * nodes, driven by our cnitool, in throwaway namespaces. Each node is a
 * namespace of its own; a veth joins them, and the etcd member runs inside
 * node A's namespace on 169.254.98.1, so node B reaches it over the "cluster
 * network" as a real node would. Node A runs our bridge, node B Debian's Go
 * bridge; both take addresses from one range.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type TestEtcdCluster, startEtcdCluster } from "@tscni/etcd/testkit";
import { type TestNetns, createTestNetns, removeAllTestNetns } from "@tscni/netns/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS } from "./support.js";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const execFileAsync = promisify(execFile);
const DIST = PLUGIN_BIN;
const GO_BRIDGE = "/usr/lib/cni/bridge";
const ETCD_ADDRESS = "169.254.98.1";

const scratch: string[] = [];
let etcd: TestEtcdCluster | undefined;
afterAll(async () => {
  await etcd?.stop();
  await removeAllTestNetns();
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function inNs(ns: TestNetns, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", ["netns", "exec", ns.name, ...args]);
  return stdout;
}

interface Node {
  name: string;
  host: TestNetns;
  ctr: TestNetns;
  env: Record<string, string>;
}

async function makeNode(name: string, bridge: string, cniVersion: string, host: TestNetns, endpoints: string[]): Promise<Node> {
  const root = mkdtempSync(join(tmpdir(), `tscni-cipam-${name}-`));
  scratch.push(root);
  const binDir = join(root, "bin");
  const confDir = join(root, "net.d");
  for (const d of [binDir, confDir]) mkdirSync(d);
  symlinkSync(bridge, join(binDir, "bridge"));
  symlinkSync(OURS, join(binDir, "cluster-ipam"));
  writeFileSync(
    join(confDir, "10-clusternet.conflist"),
    JSON.stringify({
      cniVersion,
      name: "clusternet",
      plugins: [
        {
          type: "bridge",
          bridge: "cbr0",
          isGateway: true,
          ipam: { type: "cluster-ipam", etcd: { endpoints }, nodeName: name, ranges: [[{ subnet: "169.254.62.0/24" }]] },
        },
      ],
    }),
  );
  const ctr = await createTestNetns(`cipam-c${name.slice(-1)}`);
  return {
    name,
    host,
    ctr,
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", NETCONFPATH: confDir, CNI_PATH: binDir, CNI_CACHE_DIR: join(root, "cache") },
  };
}

async function cnitool(node: Node, verb: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("ip", ["netns", "exec", node.host.name, CNITOOL, verb, "clusternet", node.ctr.path], { env: node.env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

const skip = skipReason({ netns: true, commands: ["etcd", "etcdctl", "ping"], executables: [OURS, CNITOOL, GO_BRIDGE] });

describe.skipIf(skip)(`cluster-ipam behind bridges on two nodes, in namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("our bridge on node A, Go's on node B: distinct addresses from one range, gateways answer, CHECK, DEL twice, nothing left", { timeout: 120_000 }, async () => {
    const hostA = await createTestNetns("cipam-ha");
    const hostB = await createTestNetns("cipam-hb");
    // The "cluster network" between the two nodes.
    await execFileAsync("ip", ["-n", hostA.name, "link", "add", "clnet0", "type", "veth", "peer", "name", "clnet0", "netns", hostB.name]);
    for (const [ns, address] of [[hostA, `${ETCD_ADDRESS}/30`], [hostB, "169.254.98.2/30"]] as const) {
      await execFileAsync("ip", ["-n", ns.name, "addr", "add", address, "dev", "clnet0"]);
      await execFileAsync("ip", ["-n", ns.name, "link", "set", "clnet0", "up"]);
      await execFileAsync("ip", ["-n", ns.name, "link", "set", "lo", "up"]);
    }
    etcd = await startEtcdCluster({ netns: hostA.name, host: ETCD_ADDRESS });
    const a = await makeNode("node-a", join(DIST, "bridge"), "1.1.0", hostA, etcd.endpoints);
    const b = await makeNode("node-b", GO_BRIDGE, "1.0.0", hostB, etcd.endpoints);

    const addresses: string[] = [];
    for (const node of [a, b]) {
      const add = await cnitool(node, "add");
      expect(add.code, `${node.name}: ${add.stdout}${add.stderr}`).toBe(0);
      const result = JSON.parse(add.stdout) as { ips: { address: string; gateway?: string }[] };
      expect(result.ips).toHaveLength(1);
      expect(result.ips[0]!.address).toMatch(/^169\.254\.62\.\d+\/24$/);
      addresses.push(result.ips[0]!.address);
      expect(await inNs(node.ctr, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).toContain(result.ips[0]!.address);
      expect(await inNs(node.ctr, ["ping", "-c", "1", "-W", "2", "169.254.62.1"])).toMatch(/ [1-9]\d* received/);
    }
    expect(new Set(addresses).size).toBe(2);

    for (const node of [a, b]) {
      const check = await cnitool(node, "check");
      expect(check.code, `${node.name}: ${check.stdout}${check.stderr}`).toBe(0);
    }
    const held = await inNs(hostA, ["env", "ETCDCTL_API=3", "etcdctl", "--endpoints", etcd.endpoints[0]!, "get", "--prefix", "/tscni/ipam/clusternet/"]);
    expect(held).toContain('"node":"node-a"');
    expect(held).toContain('"node":"node-b"');

    for (const node of [a, b]) {
      for (let i = 0; i < 2; i++) {
        const del = await cnitool(node, "del");
        expect(del.code, `${node.name}: ${del.stdout}${del.stderr}`).toBe(0);
      }
    }
    const left = await inNs(hostA, ["env", "ETCDCTL_API=3", "etcdctl", "--endpoints", etcd.endpoints[0]!, "get", "--prefix", "--keys-only", "/tscni/ipam/clusternet/_attachments/"]);
    expect(left.trim()).toBe("");
  });
});
