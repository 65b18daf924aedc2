/**
 * host-local where it lives in production: delegated to by a bridge plugin,
 * driven by a runtime (our cnitool), in real namespaces. The "host" is a
 * namespace of its own (the runner never touches the machine's), and only
 * 169.254.0.0/16 and fd00::/8 are used.
 *
 * Chains: Debian's Go bridge with our host-local (the mixed chain of issue 5),
 * and our bridge with our host-local.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createTestNetns, removeAllTestNetns } from "@tscni/netns/testkit";
import type { TestNetns } from "@tscni/netns/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS, claims, reservations } from "./support.js";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const execFileAsync = promisify(execFile);
const DIST = PLUGIN_BIN;

const scratch: string[] = [];
afterEach(async () => {
  await removeAllTestNetns();
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  host: TestNetns;
  ctr: TestNetns;
  dataDir: string;
  env: Record<string, string>;
}

async function setUp(bridgeBinary: string, cniVersion: string): Promise<Setup> {
  const root = mkdtempSync(join(tmpdir(), "tscni-hl-chain-"));
  scratch.push(root);
  const binDir = join(root, "bin");
  const confDir = join(root, "net.d");
  const dataDir = join(root, "data");
  for (const d of [binDir, confDir, dataDir]) mkdirSync(d);
  symlinkSync(bridgeBinary, join(binDir, "bridge"));
  symlinkSync(OURS, join(binDir, "host-local"));
  writeFileSync(
    join(confDir, "10-hlchain.conflist"),
    JSON.stringify({
      cniVersion,
      name: "hlchain",
      plugins: [
        {
          type: "bridge",
          bridge: "hlbr0",
          isGateway: true,
          capabilities: { ips: true },
          ipam: {
            type: "host-local",
            dataDir,
            ranges: [[{ subnet: "169.254.80.0/24" }], [{ subnet: "fd00:80::/64" }]],
            routes: [{ dst: "169.254.0.0/16", gw: "169.254.80.1" }],
          },
        },
      ],
    }),
  );
  const host = await createTestNetns("hl-host");
  const ctr = await createTestNetns("hl-ctr");
  const env = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    NETCONFPATH: confDir,
    CNI_PATH: binDir,
    CNI_CACHE_DIR: join(root, "cache"),
  };
  return { host, ctr, dataDir, env };
}

async function cnitool(s: Setup, verb: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("ip", ["netns", "exec", s.host.name, CNITOOL, verb, "hlchain", s.ctr.path], {
      env: { ...s.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

async function inCtr(s: Setup, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ip", ["netns", "exec", s.ctr.name, ...args]);
  return stdout;
}

const chains: [string, string, string][] = [
  ["Debian's Go bridge with our host-local", "/usr/lib/cni/bridge", "1.0.0"],
  ["our bridge with our host-local", join(DIST, "bridge"), "1.1.0"],
];

describe.skipIf(skipReason({ netns: true, executables: [OURS, CNITOOL, "/usr/lib/cni/bridge"], commands: ["ping"] }))(
  "host-local behind a bridge, through cnitool, in namespaces",
  () => {
    it.each(chains)("%s: ADD, ping the gateway, CHECK, DEL, DEL again", { timeout: 60_000 }, async (_name, bridge, cniVersion) => {
      if (!existsSync(bridge)) throw new Error(`${bridge} is not built`);
      const s = await setUp(bridge, cniVersion);
      const add = await cnitool(s, "add");
      expect(add.code, add.stderr).toBe(0);
      const result = JSON.parse(add.stdout) as { ips: { address: string; gateway?: string }[] };
      expect(result.ips.map((ip) => ip.address)).toEqual(["169.254.80.2/24", "fd00:80::2/64"]);

      // The container's interface carries exactly what host-local reserved.
      const addrs = JSON.parse(await inCtr(s, ["ip", "-j", "addr", "show", "dev", "eth0"])) as {
        addr_info: { local: string; prefixlen: number; scope: string }[];
      }[];
      const global = addrs[0]?.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
      expect(global?.sort()).toEqual(["169.254.80.2/24", "fd00:80::2/64"]);
      const routes = await inCtr(s, ["ip", "-4", "route", "show"]);
      expect(routes).toContain("169.254.0.0/16 via 169.254.80.1 dev eth0");
      expect(await inCtr(s, ["ping", "-c", "1", "-W", "2", "169.254.80.1"])).toMatch(/ [1-9]\d* received/);
      // IPv6 needs duplicate address detection to finish first: -w keeps trying for up to 10 s.
      expect(await inCtr(s, ["ping", "-6", "-c", "1", "-w", "10", "fd00:80::1"])).toMatch(/ [1-9]\d* received/);

      expect(reservations(s.dataDir, "hlchain")).toEqual({
        "169.254.80.2": expect.stringMatching(/^cnitool-[0-9a-f]{20}\r\neth0$/),
        "fd00:80::2": expect.stringMatching(/^cnitool-[0-9a-f]{20}\r\neth0$/),
      });

      const check = await cnitool(s, "check");
      expect(check.code, check.stderr).toBe(0);
      for (let i = 0; i < 2; i++) {
        const del = await cnitool(s, "del");
        expect(del.code, del.stderr).toBe(0);
        expect(reservations(s.dataDir, "hlchain")).toEqual({});
        expect(claims(s.dataDir)).toEqual([]);
      }
      const links = await inCtr(s, ["ip", "-o", "link", "show"]);
      expect(links).not.toContain("eth0");

      // The ips capability, from the runtime (CAP_ARGS) through the bridge to host-local.
      const asked = await cnitool(s, "add", { CAP_ARGS: JSON.stringify({ ips: ["169.254.80.77/24"] }) });
      expect(asked.code, asked.stderr).toBe(0);
      expect((JSON.parse(asked.stdout) as { ips: { address: string }[] }).ips[0]?.address).toBe("169.254.80.77/24");
      expect(await inCtr(s, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).toContain("169.254.80.77/24");
      expect((await cnitool(s, "del")).code).toBe(0);
      expect(reservations(s.dataDir, "hlchain")).toEqual({});
    });
  },
);
