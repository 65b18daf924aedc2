/**
 * Interop with Debian's Go libcni 1.1.2 through a small Go program
 * (go-driver/main.go): Go libcni runs our bundled noop plugin chained after
 * the Go bridge plugin, and each libcni reads the result cache the other wrote.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CniRuntime, loadConfListFile } from "@tscni/libcni";
import { skipReason } from "../../../test/support/prereq.js";
import { buildGoDriver, runDriver } from "./go-driver.js";

const DIST_BIN = resolve(import.meta.dirname, "../../../dist/bin");
const NOOP = join(DIST_BIN, "noop");
// Debian's plugins first: dist/bin holds our own "loopback" too.
const CNI_PATH = `/usr/lib/cni:${DIST_BIN}`;

const skip = skipReason({ netns: true, commands: ["go", "ip", "ping"], executables: ["/usr/lib/cni/bridge", "/usr/lib/cni/host-local", NOOP] });

interface Record_ {
  verb: string;
  env: Record<string, string>;
  stdin: string;
}
function records(file: string): { verb: string; env: Record<string, string>; stdin: Record<string, unknown> }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record_)
    .map((r) => ({ ...r, stdin: JSON.parse(r.stdin) }));
}

let seq = 0;

describe.skipIf(skip)(`Go libcni 1.1.2 and @tscni/libcni${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let buildDir: string;
  let driver: string;
  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), "tscni-go-driver-"));
    driver = buildGoDriver(buildDir);
  }, 120_000);
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  let dir: string;
  let namespaces: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-go-libcni-"));
    namespaces = [];
  });
  afterEach(() => {
    for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
  });
  const netns = (role: string) => {
    const name = `tscni-golib-${role}-${process.pid}-${++seq}`;
    execFileSync("ip", ["netns", "add", name]);
    namespaces.push(name);
    return name;
  };

  it("Go libcni drives our noop chained after the Go bridge plugin: ADD, CHECK, DEL", () => {
    const host = netns("host");
    const ctr = netns("ctr");
    const record = join(dir, "noop.jsonl");
    const conf = join(dir, "chain.conflist");
    writeFileSync(
      conf,
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "tscni-chain",
        plugins: [
          { type: "bridge", bridge: "tscnibr2", isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: "169.254.70.0/24" }]], dataDir: join(dir, "ipam") } },
          { type: "noop", passthrough: true, recordFile: record },
        ],
      }),
    );
    const args = { conf, cache: join(dir, "cache"), netns: `/run/netns/${ctr}`, cid: "ctr-go-1", cniPath: CNI_PATH, inNetns: host };
    const add = runDriver(driver, "add", args);
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    const result = JSON.parse(add.stdout);
    expect(result.ips).toEqual([{ address: "169.254.70.2/24", gateway: "169.254.70.1", interface: 2 }]);

    const ping = spawnSync("ip", ["netns", "exec", ctr, "ping", "-c1", "-W1", "169.254.70.1"], { encoding: "utf8" });
    expect(ping.status, ping.stdout + ping.stderr).toBe(0);

    expect(runDriver(driver, "check", args).status).toBe(0);
    const del = runDriver(driver, "del", args);
    expect(del.stderr).toBe("");
    expect(del.status).toBe(0);

    const calls = records(record);
    expect(calls.map((c) => c.verb)).toEqual(["ADD", "CHECK", "DEL"]);
    // noop saw the bridge's result as prevResult on ADD, and Go libcni's cached final result on CHECK and DEL.
    for (const c of calls) {
      expect(c.stdin.prevResult).toMatchObject({ cniVersion: "1.0.0", ips: [{ address: "169.254.70.2/24" }] });
      expect(c.env).toMatchObject({ CNI_CONTAINERID: "ctr-go-1", CNI_IFNAME: "eth0", CNI_NETNS: `/run/netns/${ctr}` });
    }
    expect(calls[0]!.stdin.name).toBe("tscni-chain");
  });

  it("Go libcni reads the cache our libcni wrote, and DELs with it", async () => {
    const record = join(dir, "noop.jsonl");
    const conf = join(dir, "noop.conflist");
    const ours = { cniVersion: "1.0.0", ips: [{ address: "169.254.71.5/24", gateway: "169.254.71.1" }], routes: [{ dst: "0.0.0.0/0" }] };
    writeFileSync(conf, JSON.stringify({ cniVersion: "1.0.0", name: "tscni-share", plugins: [{ type: "noop", result: ours, recordFile: record }] }));
    const cacheDir = join(dir, "cache");
    const cni = new CniRuntime({ path: CNI_PATH.split(":"), cacheDir, env: { PATH: process.env.PATH } });
    const list = await loadConfListFile(conf);
    const rt = { containerId: "ctr-ts-1", netns: "/run/netns/absent", ifName: "eth0", args: [["IgnoreUnknown", "1"]] as [string, string][], capabilityArgs: { mac: "0a:58:a9:fe:47:05" } };
    await cni.addNetworkList(list, rt);

    const args = { conf, cache: cacheDir, netns: "/run/netns/absent", cid: "ctr-ts-1", cniPath: CNI_PATH };
    const cached = runDriver(driver, "cached", args);
    expect(cached.stderr).toBe("");
    // Go libcni 1.1.2 prints an empty DNS section as {}.
    expect(JSON.parse(cached.stdout)).toEqual({ ...ours, dns: {} });
    const cachedConfig = runDriver(driver, "cachedconfig", args);
    expect(JSON.parse(cachedConfig.stdout)).toEqual({ config: list.bytes, args: [["IgnoreUnknown", "1"]], capabilityArgs: { mac: "0a:58:a9:fe:47:05" } });

    expect(runDriver(driver, "del", args).status).toBe(0);
    const del = records(record).at(-1)!;
    expect(del.verb).toBe("DEL");
    expect(del.stdin.prevResult).toEqual({ ...ours, dns: {} });
    expect(existsSync(join(cacheDir, "results", "tscni-share-ctr-ts-1-eth0"))).toBe(false);
  });

  it("our libcni reads the cache Go libcni wrote, and DELs with it", async () => {
    const record = join(dir, "noop.jsonl");
    const conf = join(dir, "noop.conflist");
    const theirs = { cniVersion: "1.0.0", interfaces: [{ name: "eth0", sandbox: "/run/netns/absent" }], ips: [{ interface: 0, address: "169.254.72.9/24" }] };
    writeFileSync(conf, JSON.stringify({ cniVersion: "1.0.0", name: "tscni-share2", plugins: [{ type: "noop", result: theirs, recordFile: record }] }));
    const cacheDir = join(dir, "cache");
    mkdirSync(cacheDir);
    const args = { conf, cache: cacheDir, netns: "/run/netns/absent", cid: "ctr-go-2", cniPath: CNI_PATH };
    const add = runDriver(driver, "add", args);
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);

    const cni = new CniRuntime({ path: CNI_PATH.split(":"), cacheDir, env: { PATH: process.env.PATH } });
    const list = await loadConfListFile(conf);
    const rt = { containerId: "ctr-go-2", netns: "/run/netns/absent", ifName: "eth0" };
    expect(await cni.getNetworkListCachedResult(list, rt)).toEqual(theirs);
    expect((await cni.getCachedAttachments("ctr-go-2")).map((a) => [a.networkName, a.ifName, a.config])).toEqual([["tscni-share2", "eth0", list.bytes]]);
    await cni.checkNetworkList(list, rt);
    await cni.delNetworkList(list, rt);
    const [, check, del] = records(record);
    expect([check!.verb, del!.verb]).toEqual(["CHECK", "DEL"]);
    expect(check!.stdin.prevResult).toEqual(theirs);
    expect(del!.stdin.prevResult).toEqual(theirs);
    expect(existsSync(join(cacheDir, "results", "tscni-share2-ctr-go-2-eth0"))).toBe(false);
  });
});
