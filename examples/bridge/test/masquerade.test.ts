/**
 * ipMasq on nftables, in throwaway namespaces: an "outside" namespace joined
 * to the host namespace by a veth runs a server that answers with the peer
 * address it saw. With ipMasq the container's connections arrive from the
 * host's address; without, from the container's own. IPv4 and IPv6; only
 * 169.254.0.0/16 and fd00::/8.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type TestNetns, type Workspace, cnitool, createTestNetns, execPluginBinary, workspacePool } from "@tscni/netns/testkit";
import { afterEach, describe, expect, test } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const execFileAsync = promisify(execFile);
const PEER = resolve(import.meta.dirname, "../../../test/support/peer.mjs");
const distBin = PLUGIN_BIN;
const skip = skipReason({ netns: true, commands: ["nft"], executables: [join(distBin, "bridge"), join(distBin, "host-local"), CNITOOL] });

const pool = workspacePool("masq", { bin: distBin, cnitool: CNITOOL });
const servers: ChildProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.kill("SIGKILL");
  await pool.removeAll();
});

async function inNs(ns: TestNetns, args: string[]): Promise<string> {
  return (await execFileAsync("ip", ["netns", "exec", ns.name, ...args])).stdout;
}

/** The outside: a namespace on a veth from the host, with a server answering "outside <peer address>". */
async function outside(ws: Workspace): Promise<TestNetns> {
  const out = await createTestNetns("masq-out");
  await execFileAsync("ip", ["-n", ws.host.name, "link", "add", "out0", "type", "veth", "peer", "name", "eth0", "netns", out.name]);
  for (const [ns, dev, v4, v6] of [[ws.host, "out0", "169.254.96.1", "fd00:96::1"], [out, "eth0", "169.254.96.2", "fd00:96::2"]] as const) {
    await inNs(ns, ["ip", "addr", "add", `${v4}/24`, "dev", dev]);
    await inNs(ns, ["ip", "addr", "add", `${v6}/64`, "dev", dev, "nodad"]);
    await inNs(ns, ["ip", "link", "set", dev, "up"]);
    await inNs(ns, ["ip", "link", "set", "lo", "up"]);
  }
  // Without masquerading, replies to the container's own address need a way back through the host.
  await inNs(out, ["ip", "route", "add", "169.254.69.0/24", "via", "169.254.96.1"]);
  await inNs(out, ["ip", "-6", "route", "add", "fd00:69::/64", "via", "fd00:96::1"]);
  const server = spawn("ip", ["netns", "exec", out.name, process.execPath, PEER, "serve", "outside"], { stdio: ["ignore", "pipe", "inherit"] });
  servers.push(server);
  await new Promise<void>((ready) => server.stdout!.once("data", () => ready()));
  return out;
}

/**
 * The address the outside server saw. A few tries: the bridge's IPv6 gateway
 * address is tentative until duplicate address detection on the host finishes.
 */
async function peerSeenFrom(ctr: TestNetns, address: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await inNs(ctr, [process.execPath, PEER, "ask", "tcp", address, "80"])).trim().replace(/^outside (::ffff:)?/, "");
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
}

function conflist(ws: Workspace, ipMasq: boolean): object {
  return {
    cniVersion: "1.1.0",
    name: "masqnet",
    plugins: [
      {
        type: "bridge",
        bridge: "masqbr0",
        isGateway: true,
        ipMasq,
        ipam: {
          type: "host-local",
          dataDir: ws.ipamData,
          ranges: [[{ subnet: "169.254.69.0/24" }], [{ subnet: "fd00:69::/64" }]],
          routes: [{ dst: "169.254.0.0/16", gw: "169.254.69.1" }, { dst: "fd00::/8", gw: "fd00:69::1" }],
        },
      },
    ],
  };
}

async function ourRules(ws: Workspace): Promise<number> {
  const listing = JSON.parse(await inNs(ws.host, ["nft", "-j", "list", "ruleset"])) as { nftables: { rule?: { table: string } }[] };
  return listing.nftables.filter((i) => i.rule?.table === "tscni-bridge").length;
}

describe.skipIf(skip)(`bridge ipMasq on nftables${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("with ipMasq the outside sees the host's address, IPv4 and IPv6; CHECK catches a rule deleted by hand; DEL removes exactly ours", { timeout: 60_000 }, async () => {
    const ws = await pool.create();
    await outside(ws);
    ws.writeConflist("masqnet", conflist(ws, true));
    const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "ours" });
    const add = await cnitool(ws, "add", "masqnet", cniPath);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(await peerSeenFrom(ws.ctr, "169.254.96.2")).toBe("169.254.96.1");
    expect(await peerSeenFrom(ws.ctr, "fd00:96::2")).toBe("fd00:96::1");
    expect(await ourRules(ws)).toBe(2);

    expect((await cnitool(ws, "check", "masqnet", cniPath)).exitCode).toBe(0);
    const listing = JSON.parse(await inNs(ws.host, ["nft", "-j", "-a", "list", "chain", "inet", "tscni-bridge", "postrouting"])) as { nftables: { rule?: { handle: number } }[] };
    const handle = listing.nftables.find((i) => i.rule)!.rule!.handle;
    await inNs(ws.host, ["nft", "delete", "rule", "inet", "tscni-bridge", "postrouting", "handle", String(handle)]);
    const tampered = await cnitool(ws, "check", "masqnet", cniPath);
    expect(tampered.exitCode).toBe(1);
    expect(tampered.stdout + tampered.stderr).toContain("masquerade rules");

    for (let i = 0; i < 2; i++) expect((await cnitool(ws, "del", "masqnet", cniPath)).exitCode).toBe(0);
    expect(await ourRules(ws)).toBe(0);
  });

  test("without ipMasq the outside sees the container's own address, and no rule is made", { timeout: 60_000 }, async () => {
    const ws = await pool.create();
    await outside(ws);
    ws.writeConflist("masqnet", conflist(ws, false));
    const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "ours" });
    const add = await cnitool(ws, "add", "masqnet", cniPath);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    const ips = (add.json as { ips: { address: string }[] }).ips.map((ip) => ip.address.split("/")[0]);
    expect(await peerSeenFrom(ws.ctr, "169.254.96.2")).toBe(ips[0]);
    expect(await peerSeenFrom(ws.ctr, "fd00:96::2")).toBe(ips[1]);
    expect(await ourRules(ws)).toBe(0);
    expect((await cnitool(ws, "del", "masqnet", cniPath)).exitCode).toBe(0);
  });

  test("GC removes the masquerade rules of attachments not in valid-attachments", { timeout: 60_000 }, async () => {
    const ws = await pool.create();
    ws.writeConflist("masqnet", conflist(ws, true));
    const cniPath = ws.pluginDir({ bridge: "ours", "host-local": "ours" });
    expect((await cnitool(ws, "add", "masqnet", cniPath)).exitCode).toBe(0);
    expect(await ourRules(ws)).toBe(2);
    const gc = await execPluginBinary({
      binary: join(distBin, "bridge"),
      hostNetns: ws.host.path,
      command: "GC",
      path: [cniPath],
      config: { ...(conflist(ws, true) as { plugins: object[] }).plugins[0], cniVersion: "1.1.0", name: "masqnet", "cni.dev/valid-attachments": [] },
    });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(await ourRules(ws)).toBe(0);
  });
});
