/**
 * portmap where it lives: chained after our bridge + host-local, driven by our
 * cnitool, in throwaway namespaces. The "host" is a namespace of its own; an
 * "outside" namespace joined to it by a veth plays a client on another
 * machine. Only 169.254.0.0/16 and fd00::/8 are used.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type TestNetns, createTestNetns, execPluginBinary, removeAllTestNetns } from "@tscni/netns/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const execFileAsync = promisify(execFile);
const DIST = PLUGIN_BIN;
const PEER = resolve(import.meta.dirname, "../../../test/support/peer.mjs");
const HOST_V4 = "169.254.97.1";
const HOST_V6 = "fd00:97::1";

const skip = skipReason({ netns: true, commands: ["nft"], executables: [CNITOOL, join(DIST, "portmap"), join(DIST, "bridge"), join(DIST, "host-local")] });

interface World {
  root: string;
  host: TestNetns;
  outside: TestNetns;
  env: Record<string, string>;
  servers: ChildProcess[];
}

let world: World;

async function inNs(ns: TestNetns, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", ["netns", "exec", ns.name, ...args]);
  return stdout;
}

/**
 * The answer of the server behind `host:port`, or undefined. A few tries when an answer is expected: on a loaded
 * machine the first IPv6 exchange can miss the peer's deadline while neighbour discovery runs.
 */
async function ask(proto: "tcp" | "udp", host: string, port: number, tries = 3): Promise<string | undefined> {
  for (let attempt = 1; attempt <= tries; attempt++) {
    try {
      return (await inNs(world.outside, [process.execPath, PEER, "ask", proto, host, String(port)])).trim();
    } catch {
      // the next try, or undefined after the last
    }
  }
  return undefined;
}

async function cnitool(verb: string, ctr: TestNetns, capArgs?: object): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("ip", ["netns", "exec", world.host.name, CNITOOL, verb, "pmnet", ctr.path], {
      env: { ...world.env, ...(capArgs && { CAP_ARGS: JSON.stringify(capArgs) }) },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** A container namespace running the peer server, which answers with `name` and the address it saw. */
async function container(name: string): Promise<TestNetns> {
  const ctr = await createTestNetns(`pm-${name}`);
  await inNs(ctr, ["ip", "link", "set", "lo", "up"]);
  const server = spawn("ip", ["netns", "exec", ctr.name, process.execPath, PEER, "serve", name], { stdio: ["ignore", "pipe", "inherit"] });
  world.servers.push(server);
  await new Promise<void>((ready) => server.stdout!.once("data", () => ready()));
  return ctr;
}

/** The container ID cnitool derived for a namespace, read back from its result cache. */
async function containerIdOf(ctr: TestNetns): Promise<string> {
  const { stdout } = await execFileAsync("grep", ["-rl", ctr.path, join(world.env.CNI_CACHE_DIR!, "results")]);
  const file = stdout.trim().split("\n")[0]!;
  const id = /pmnet-(.+)-eth0$/.exec(file)?.[1];
  if (!id) throw new Error(`no container ID in ${file}`);
  return id;
}

async function ourRuleCount(): Promise<number> {
  const listing = JSON.parse(await inNs(world.host, ["nft", "-j", "list", "ruleset"])) as { nftables: { rule?: { table: string } }[] };
  return listing.nftables.filter((i) => i.rule?.table === "tscni-portmap").length;
}

describe.skipIf(skip)(`portmap behind our bridge, through cnitool, in namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "tscni-portmap-"));
    const binDir = join(root, "bin");
    const confDir = join(root, "net.d");
    for (const d of [binDir, confDir]) mkdirSync(d);
    for (const p of ["bridge", "host-local", "portmap"]) symlinkSync(join(DIST, p), join(binDir, p));
    writeFileSync(
      join(confDir, "10-pmnet.conflist"),
      JSON.stringify({
        cniVersion: "1.1.0",
        name: "pmnet",
        plugins: [
          {
            type: "bridge",
            bridge: "pmbr0",
            isGateway: true,
            ipam: { type: "host-local", dataDir: join(root, "ipam"), ranges: [[{ subnet: "169.254.64.0/24" }], [{ subnet: "fd00:64::/64" }]],
              // Replies to the outside client go back through the host: only the test ranges, never a default route.
              routes: [{ dst: "169.254.0.0/16", gw: "169.254.64.1" }, { dst: "fd00::/8", gw: "fd00:64::1" }],
            },
          },
          { type: "portmap", capabilities: { portMappings: true } },
        ],
      }),
    );
    const host = await createTestNetns("pm-host");
    const outside = await createTestNetns("pm-out");
    world = {
      root,
      host,
      outside,
      servers: [],
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", NETCONFPATH: confDir, CNI_PATH: binDir, CNI_CACHE_DIR: join(root, "cache") },
    };
    await execFileAsync("ip", ["-n", host.name, "link", "add", "out0", "type", "veth", "peer", "name", "eth0", "netns", outside.name]);
    for (const [ns, dev, v4, v6] of [[host, "out0", HOST_V4, HOST_V6], [outside, "eth0", "169.254.97.2", "fd00:97::2"]] as const) {
      await inNs(ns, ["ip", "addr", "add", `${v4}/24`, "dev", dev]);
      await inNs(ns, ["ip", "addr", "add", `${v6}/64`, "dev", dev, "nodad"]);
      await inNs(ns, ["ip", "link", "set", dev, "up"]);
      await inNs(ns, ["ip", "link", "set", "lo", "up"]);
    }
  });

  afterAll(async () => {
    for (const s of world?.servers ?? []) s.kill("SIGKILL");
    await removeAllTestNetns();
    if (world) rmSync(world.root, { recursive: true, force: true });
  });

  it("two containers with their own mappings; DEL of one leaves the other working; CHECK catches a rule deleted by hand; nothing of ours left at the end", { timeout: 120_000 }, async () => {
    const one = await container("one");
    const two = await container("two");
    const add1 = await cnitool("add", one, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }, { hostPort: 5353, containerPort: 53, protocol: "udp" }] });
    expect(add1.code, add1.stdout + add1.stderr).toBe(0);
    const add2 = await cnitool("add", two, { portMappings: [{ hostPort: 8081, containerPort: 80, protocol: "tcp", hostIP: HOST_V4 }] });
    expect(add2.code, add2.stdout + add2.stderr).toBe(0);

    // The client on the outside reaches each container through the host's address; the container sees the client.
    expect(await ask("tcp", HOST_V4, 8080)).toMatch(/^one (::ffff:)?169\.254\.97\.2$/);
    expect(await ask("udp", HOST_V4, 5353)).toMatch(/^one (::ffff:)?169\.254\.97\.2$/);
    expect(await ask("tcp", HOST_V6, 8080)).toBe("one fd00:97::2");
    expect(await ask("tcp", HOST_V4, 8081)).toMatch(/^two /);
    // hostIP pins the mapping to one address family and address.
    expect(await ask("tcp", HOST_V6, 8081, 1)).toBeUndefined();

    const check = await cnitool("check", one, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }, { hostPort: 5353, containerPort: 53, protocol: "udp" }] });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    // Tamper: delete one prerouting rule by hand; the CHECK of exactly the container it belonged to must fail.
    const listing = JSON.parse(await inNs(world.host, ["nft", "-j", "-a", "list", "chain", "inet", "tscni-portmap", "prerouting"])) as {
      nftables: { rule?: { handle: number } }[];
    };
    const handles = listing.nftables.flatMap((i) => (i.rule ? [i.rule.handle] : []));
    expect(handles).toHaveLength(5);
    await inNs(world.host, ["nft", "delete", "rule", "inet", "tscni-portmap", "prerouting", "handle", String(handles[0])]);
    const tampered1 = await cnitool("check", one, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }, { hostPort: 5353, containerPort: 53, protocol: "udp" }] });
    const tampered2 = await cnitool("check", two, { portMappings: [{ hostPort: 8081, containerPort: 80, protocol: "tcp", hostIP: HOST_V4 }] });
    expect([tampered1.code, tampered2.code].sort()).toEqual([0, 1]);
    expect(tampered1.stdout + tampered1.stderr + tampered2.stdout + tampered2.stderr).toContain("missing in chain prerouting");

    for (let i = 0; i < 2; i++) expect((await cnitool("del", one)).code).toBe(0);
    expect(await ask("tcp", HOST_V4, 8080, 1)).toBeUndefined();
    expect(await ask("tcp", HOST_V4, 8081)).toMatch(/^two /);
    for (let i = 0; i < 2; i++) expect((await cnitool("del", two)).code).toBe(0);
    expect(await ourRuleCount()).toBe(0);
  });

  it("GC removes the rules of attachments the runtime no longer has, and only those", { timeout: 60_000 }, async () => {
    const three = await container("three");
    const four = await container("four");
    const add3 = await cnitool("add", three, { portMappings: [{ hostPort: 9003, containerPort: 80 }] });
    expect(add3.code, add3.stdout + add3.stderr).toBe(0);
    const add4 = await cnitool("add", four, { portMappings: [{ hostPort: 9004, containerPort: 80 }] });
    expect(add4.code, add4.stdout + add4.stderr).toBe(0);
    expect(await ask("tcp", HOST_V4, 9003), `${add3.stdout}\n${await inNs(world.host, ["nft", "list", "ruleset"])}`).toMatch(/^three /);
    // The runtime's GC: only three is still attached. (cnitool's own gc treats every attachment as stale.)
    const threeId = await containerIdOf(three);
    const gc = await execPluginBinary({
      binary: join(DIST, "portmap"),
      hostNetns: world.host.path,
      command: "GC",
      path: [world.env.CNI_PATH!],
      config: { cniVersion: "1.1.0", name: "pmnet", type: "portmap", "cni.dev/valid-attachments": [{ containerID: threeId, ifname: "eth0" }] },
    });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(await ask("tcp", HOST_V4, 9004, 1)).toBeUndefined();
    expect(await ask("tcp", HOST_V4, 9003)).toMatch(/^three /);
    expect((await cnitool("del", three)).code).toBe(0);
    expect((await cnitool("del", four)).code).toBe(0);
    expect(await ourRuleCount()).toBe(0);
  });
});
