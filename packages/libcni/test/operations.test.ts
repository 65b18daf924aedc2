import { readFileSync, statSync, writeFileSync, mkdirSync, existsSync, readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CniRuntime, parseConfList, parseConf, type RuntimeConf } from "@tscni/libcni";
import { baseEnv, Sandbox } from "./helpers.js";
import { cniRejection } from "../../../test/support/cni-error.js";

const rt: RuntimeConf = {
  containerId: "ctr-1",
  netns: "/run/netns/ctr-1",
  ifName: "eth0",
  args: [
    ["IgnoreUnknown", "1"],
    ["K8S_POD_NAME", "web"],
  ],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }], bandwidth: { ingressRate: 1 } },
};

function list(plugins: object[], extra: object = {}) {
  return parseConfList(JSON.stringify({ cniVersion: "1.0.0", name: "net", plugins, ...extra }));
}

describe("CniRuntime operations", () => {
  let s: Sandbox;
  let cni: CniRuntime;
  const stderr: string[] = [];
  beforeEach(() => {
    s = new Sandbox();
    cni = new CniRuntime({ path: ["/nonexistent", s.bin], cacheDir: s.cacheDir, env: { ...baseEnv, CNI_NETNS: "/inherited" }, onStderr: (t) => stderr.push(t) });
  });
  afterEach(() => s.cleanup());

  describe("ADD", () => {
    it("chains results, overrides name and version, and passes only declared capabilities", async () => {
      s.plugin("first", { addResult: '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"interface":0,"address":"169.254.9.2/16","gateway":"169.254.9.1"}]}' });
      s.plugin("second", { addResult: '{"cniVersion":"1.0.0","ips":[{"address":"169.254.9.3/16"}]}' });
      const l = list([
        { type: "first", name: "own-name", cniVersion: "0.3.1", capabilities: { portMappings: true, bandwidth: false }, runtimeConfig: { stale: 1 } },
        { type: "second" },
      ]);
      const result = await cni.addNetworkList(l, rt);
      expect(result).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.3/16" }] });
      const [a, b] = s.calls();
      expect(a).toMatchObject({ verb: "ADD", plugin: "first", containerId: "ctr-1", netns: "/run/netns/ctr-1", ifName: "eth0", args: "IgnoreUnknown=1;K8S_POD_NAME=web", path: `/nonexistent:${s.bin}` });
      expect(a!.stdin).toEqual({
        type: "first",
        name: "net",
        cniVersion: "1.0.0",
        capabilities: { portMappings: true, bandwidth: false },
        runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
      });
      expect(a!.stdin.prevResult).toBeUndefined();
      expect(b!.stdin).toEqual({
        type: "second",
        name: "net",
        cniVersion: "1.0.0",
        prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "eth0" }], ips: [{ interface: 0, address: "169.254.9.2/16", gateway: "169.254.9.1" }] },
      });
    });

    it("hands the next plugin a prevResult in the list's version even when a plugin printed another", async () => {
      s.plugin("old", { addResult: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"169.254.9.4/16"}]}' });
      s.plugin("next");
      await cni.addNetworkList(list([{ type: "old" }, { type: "next" }]), rt);
      expect(s.calls()[1]!.stdin.prevResult).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.4/16" }] });
    });

    it("caches the final result in Go's layout: file name, kind, base64 config, modes", async () => {
      s.plugin("p");
      const l = list([{ type: "p" }]);
      await cni.addNetworkList(l, rt);
      const file = s.cacheFile("net", "ctr-1", "eth0");
      const doc = JSON.parse(readFileSync(file, "utf8"));
      expect(doc).toEqual({
        kind: "cniCacheV1",
        containerId: "ctr-1",
        config: Buffer.from(l.bytes).toString("base64"),
        ifName: "eth0",
        networkName: "net",
        netns: "/run/netns/ctr-1",
        cniArgs: [
          ["IgnoreUnknown", "1"],
          ["K8S_POD_NAME", "web"],
        ],
        capabilityArgs: rt.capabilityArgs,
        result: { cniVersion: "1.0.0", ips: [{ address: "169.254.9.1/16" }] },
      });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(s.cacheDir, "results")).mode & 0o777).toBe(0o700);
      // No temporary file is left next to it.
      expect(readdirSync(join(s.cacheDir, "results"))).toEqual(["net-ctr-1-eth0"]);
      expect((await cni.getNetworkListCachedConfig(l, { containerId: "ctr-1", ifName: "eth0" }))).toEqual({
        config: l.bytes,
        rt: { containerId: "ctr-1", ifName: "eth0", args: rt.args, capabilityArgs: rt.capabilityArgs },
      });
    });

    it("stops at a failing plugin, keeps its code, caches nothing", async () => {
      s.plugin("ok");
      s.plugin("bad", { body: `echo '{"code":11,"msg":"IPAM busy"}'; exit 1` });
      s.plugin("never");
      const e = await cniRejection(cni.addNetworkList(list([{ type: "ok" }, { type: "bad", name: "ipam" }, { type: "never" }]), rt));
      expect(e.code).toBe(11);
      expect(e.msg).toBe('plugin type="bad" name="ipam" failed (add): IPAM busy');
      expect(s.calls().map((c) => c.plugin)).toEqual(["ok", "bad"]);
      expect(s.hasCache("net", "ctr-1", "eth0")).toBe(false);
    });

    it("fails ADD when the result cannot be cached, after the plugins ran", async () => {
      s.plugin("p");
      writeFileSync(join(s.dir, "not-a-dir"), "");
      const broken = new CniRuntime({ path: [s.bin], cacheDir: join(s.dir, "not-a-dir"), env: baseEnv });
      const e = await cniRejection(broken.addNetworkList(list([{ type: "p" }]), rt));
      expect(e.code).toBe(5);
      expect(e.msg).toMatch(/^failed to set network "net" cached result: .*ENOTDIR/);
      expect(s.calls().map((c) => c.verb)).toEqual(["ADD"]);
    });

    it("names the missing plugin and the path", async () => {
      const e = await cniRejection(cni.addNetworkList(list([{ type: "ghost" }]), rt));
      expect(e.msg).toBe(`plugin type="ghost" failed (add): failed to find plugin "ghost" in path [/nonexistent ${s.bin}]`);
    });

    it("forwards a successful plugin's stderr", async () => {
      stderr.length = 0;
      s.plugin("chatty", { body: "echo 'allocated 169.254.9.6' >&2" });
      await cni.addNetworkList(list([{ type: "chatty" }]), rt);
      expect(stderr).toEqual(["allocated 169.254.9.6\n"]);
    });
  });

  describe("names that become file names", () => {
    it.each([
      ["container ID", { ...rt, containerId: "../../../etc/x" }, "invalid characters in containerID"],
      ["container ID", { ...rt, containerId: "" }, "missing containerID"],
      ["interface name", { ...rt, ifName: ".." }, "interface name is . or .."],
      ["interface name", { ...rt, ifName: "a/b" }, "interface name contains / or : or whitespace characters"],
      ["interface name", { ...rt, ifName: "a-very-long-name0" }, "interface name is too long"],
    ])("refuses a bad %s before running anything, on every verb", async (_what, bad, msg) => {
      s.plugin("p");
      const l = list([{ type: "p" }]);
      for (const op of [() => cni.addNetworkList(l, bad), () => cni.checkNetworkList(l, bad), () => cni.delNetworkList(l, bad)]) {
        expect((await cniRejection(op())).msg).toBe(msg);
      }
      expect(s.calls()).toEqual([]);
      expect(existsSync(s.cacheDir)).toBe(false);
    });

    it("refuses a network name that could leave the cache directory", async () => {
      s.plugin("p");
      const l = parseConfList(JSON.stringify({ cniVersion: "1.0.0", name: "../x", plugins: [{ type: "p" }] }));
      const e = await cniRejection(cni.addNetworkList(l, rt));
      expect([e.code, e.msg, e.details]).toEqual([7, "invalid characters found in network name", "../x"]);
      expect(s.calls()).toEqual([]);
    });
  });

  describe("CHECK", () => {
    it("gives every plugin the cached ADD result, in order", async () => {
      s.plugin("a");
      s.plugin("bb");
      const l = list([{ type: "a" }, { type: "bb" }]);
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      await cni.checkNetworkList(l, rt);
      const calls = s.calls();
      expect(calls.map((c) => `${c.verb} ${c.plugin}`)).toEqual(["CHECK a", "CHECK bb"]);
      for (const c of calls) expect(c.stdin.prevResult).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.2/16" }] });
    });

    it("converts the cached result to the list's version", async () => {
      s.plugin("a", { addResult: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"169.254.9.9/16"}]}' });
      const l = list([{ type: "a" }], { cniVersion: "1.0.0" });
      await cni.addNetworkList(l, rt);
      expect(await cni.getNetworkListCachedResult(l, rt)).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.9/16" }] });
    });

    it("is refused below 0.4.0, skipped with disableCheck, and fails on a corrupt cache", async () => {
      s.plugin("a");
      expect((await cniRejection(cni.checkNetworkList(list([{ type: "a" }], { cniVersion: "0.3.1" }), rt))).msg).toBe(
        'configuration version "0.3.1" does not support the CHECK command',
      );
      await cni.checkNetworkList(list([{ type: "a" }], { disableCheck: true }), rt);
      expect(s.calls()).toEqual([]);
      mkdirSync(join(s.cacheDir, "results"), { recursive: true });
      writeFileSync(s.cacheFile("net", "ctr-1", "eth0"), "{garbage");
      const e = await cniRejection(cni.checkNetworkList(list([{ type: "a" }]), rt));
      expect(e.msg).toContain('failed to get network "net" cached result');
      expect(s.calls()).toEqual([]);
    });
  });

  describe("DEL", () => {
    it("runs plugins in reverse with the cached result, removes the cache, and a second DEL runs without it", async () => {
      s.plugin("a");
      s.plugin("bb");
      const l = list([{ type: "a" }, { type: "bb" }]);
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      await cni.delNetworkList(l, rt);
      expect(s.calls().map((c) => `${c.verb} ${c.plugin} ${c.netns}`)).toEqual(["DEL bb /run/netns/ctr-1", "DEL a /run/netns/ctr-1"]);
      expect(s.calls()[0]!.stdin.prevResult).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.9.2/16" }] });
      expect(s.hasCache("net", "ctr-1", "eth0")).toBe(false);
      s.resetCalls();
      await cni.delNetworkList(l, rt);
      expect(s.calls().map((c) => c.stdin.prevResult)).toEqual([undefined, undefined]);
    });

    it.each([
      ["empty", ""],
      ["truncated", '{"kind":"cniCacheV1","containerId":"ctr-1","res'],
      ["unconvertible", JSON.stringify({ kind: "cniCacheV1", containerId: "ctr-1", ifName: "eth0", networkName: "net", result: { cniVersion: "7.0.0" } })],
    ])("is never blocked by an %s cache file", async (_kind, content) => {
      s.plugin("a");
      mkdirSync(join(s.cacheDir, "results"), { recursive: true });
      writeFileSync(s.cacheFile("net", "ctr-1", "eth0"), content);
      await cni.delNetworkList(list([{ type: "a" }]), rt);
      expect(s.calls().map((c) => [c.verb, c.stdin.prevResult])).toEqual([["DEL", undefined]]);
      expect(s.hasCache("net", "ctr-1", "eth0")).toBe(false);
    });

    it("reads a legacy cache file holding only the result", async () => {
      s.plugin("a");
      mkdirSync(join(s.cacheDir, "results"), { recursive: true });
      writeFileSync(s.cacheFile("net", "ctr-1", "eth0"), '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"169.254.1.1/16"}]}');
      await cni.delNetworkList(list([{ type: "a" }]), rt);
      expect(s.calls()[0]!.stdin.prevResult).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.1.1/16" }] });
    });

    it("does not read the cache below 0.4.0", async () => {
      s.plugin("a", { addResult: '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"169.254.1.1/16"}]}' });
      const l = list([{ type: "a" }], { cniVersion: "0.3.1" });
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      await cni.delNetworkList(l, rt);
      expect(s.calls()[0]!.stdin.prevResult).toBeUndefined();
    });

    it("stops at a failing plugin and keeps the cache for the retry", async () => {
      s.plugin("a");
      s.plugin("bb", { body: `[ "$CNI_COMMAND" = DEL ] && { echo 'device busy' >&2; exit 1; }` });
      const l = list([{ type: "a" }, { type: "bb" }]);
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      const e = await cniRejection(cni.delNetworkList(l, rt));
      expect(e.msg).toMatch(/^plugin type="bb" failed \(delete\): plugin .* exited with status 1/);
      expect(e.details).toContain("device busy");
      expect(s.calls().map((c) => c.plugin)).toEqual(["bb"]);
      expect(s.hasCache("net", "ctr-1", "eth0")).toBe(true);
    });

    it("runs with an empty netns", async () => {
      s.plugin("a");
      await cni.delNetworkList(list([{ type: "a" }]), { containerId: "ctr-1", ifName: "eth0" });
      expect(s.calls()[0]!.netns).toBe("");
    });
  });

  describe("GC", () => {
    it("DELs stale cached attachments with their cached runtime conf, then sends GC with the valid ones", async () => {
      s.plugin("a");
      const l = list([{ type: "a" }], { cniVersion: "1.1.0" });
      const other = parseConfList(JSON.stringify({ cniVersion: "1.1.0", name: "other", plugins: [{ type: "a" }] }));
      await cni.addNetworkList(l, rt);
      await cni.addNetworkList(l, { containerId: "ctr-2", netns: "/run/netns/ctr-2", ifName: "eth0" });
      await cni.addNetworkList(other, { containerId: "ctr-3", netns: "/run/netns/ctr-3", ifName: "eth0" });
      s.resetCalls();
      await cni.gcNetworkList(l, { validAttachments: [{ containerID: "ctr-2", ifname: "eth0" }] });
      const calls = s.calls();
      expect(calls.map((c) => `${c.verb} ${c.containerId} ${c.netns} ${c.args}`)).toEqual([
        "DEL ctr-1 /run/netns/ctr-1 IgnoreUnknown=1;K8S_POD_NAME=web",
        "GC   ",
      ]);
      expect(calls[1]!.stdin).toEqual({
        type: "a",
        name: "net",
        cniVersion: "1.1.0",
        "cni.dev/valid-attachments": [{ containerID: "ctr-2", ifname: "eth0" }],
        "cni.dev/attachments": [{ containerID: "ctr-2", ifname: "eth0" }],
      });
      expect((await cni.getCachedAttachments()).map((a) => `${a.networkName}/${a.containerId}`)).toEqual(["net/ctr-2", "other/ctr-3"]);
    });

    it("without args treats every cached attachment as stale and sends no attachment key", async () => {
      s.plugin("a");
      const l = list([{ type: "a" }], { cniVersion: "1.1.0" });
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      await cni.gcNetworkList(l);
      expect(s.calls().map((c) => c.verb)).toEqual(["DEL", "GC"]);
      expect(Object.keys(s.calls()[1]!.stdin)).not.toContain("cni.dev/valid-attachments");
    });

    it("keeps going past failures and reports them all", async () => {
      s.plugin("a", { body: `case "$CNI_COMMAND" in DEL) echo '{"code":100,"msg":"del failed"}'; exit 1;; GC) echo '{"code":101,"msg":"gc failed"}'; exit 1;; esac` });
      s.plugin("bb");
      const l = list([{ type: "a" }, { type: "bb" }], { cniVersion: "1.1.0" });
      await cni.addNetworkList(l, rt);
      s.resetCalls();
      const e = await cniRejection(cni.gcNetworkList(l, { validAttachments: [] }));
      expect(e.msg).toBe('2 errors during GC of network "net"');
      expect(e.details).toContain('failed to delete stale attachment ctr-1 eth0: plugin type="a" failed (delete): del failed');
      expect(e.details).toContain('plugin type="a" failed (gc): gc failed');
      expect(s.calls().map((c) => `${c.verb} ${c.plugin}`)).toEqual(["DEL bb", "DEL a", "GC a", "GC bb"]);
    });

    it("removes cache temp files a crashed writer abandoned, and only those", async () => {
      s.plugin("a");
      const l = list([{ type: "a" }], { cniVersion: "1.1.0" });
      await cni.addNetworkList(l, rt);
      const results = join(s.cacheDir, "results");
      writeFileSync(join(results, ".tmp-net-old-eth0-abc"), "{");
      utimesSync(join(results, ".tmp-net-old-eth0-abc"), new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
      writeFileSync(join(results, ".tmp-net-inflight-eth0-def"), "{");
      await cni.gcNetworkList(l, { validAttachments: [{ containerID: "ctr-1", ifname: "eth0" }] });
      expect(readdirSync(results).sort()).toEqual([".tmp-net-inflight-eth0-def", "net-ctr-1-eth0"]);
    });

    it("does nothing with disableGC, and sends no GC below 1.1.0", async () => {
      s.plugin("a");
      await cni.gcNetworkList(list([{ type: "a" }], { cniVersion: "1.1.0", disableGC: true }), { validAttachments: [] });
      await cni.gcNetworkList(list([{ type: "a" }], { cniVersion: "1.0.0" }), { validAttachments: [] });
      expect(s.calls()).toEqual([]);
    });
  });

  describe("STATUS", () => {
    it("returns the first failure with the plugin's code, and skips lists below 1.1.0", async () => {
      s.plugin("a", { body: `[ "$CNI_COMMAND" = STATUS ] && { echo '{"code":50,"msg":"no IPs left"}'; exit 1; }` });
      s.plugin("bb");
      await cni.getStatusNetworkList(list([{ type: "a" }], { cniVersion: "1.0.0" }));
      expect(s.calls()).toEqual([]);
      const e = await cniRejection(cni.getStatusNetworkList(list([{ type: "a" }, { type: "bb" }], { cniVersion: "1.1.0" })));
      expect([e.code, e.msg]).toEqual([50, 'plugin type="a" failed (status): no IPs left']);
      expect(s.calls().map((c) => `${c.verb} ${c.containerId}|${c.ifName}`)).toEqual(["STATUS |"]);
    });
  });

  describe("single plugin configs", () => {
    it("run under the plugin's own name and version and cache the plugin's bytes", async () => {
      s.plugin("a");
      const net = parseConf(JSON.stringify({ cniVersion: "0.4.0", name: "solo", type: "a", x: 1 }));
      await cni.addNetwork(net, rt);
      expect(s.calls()[0]!.stdin).toMatchObject({ name: "solo", cniVersion: "0.4.0", x: 1 });
      const cached = JSON.parse(readFileSync(s.cacheFile("solo", "ctr-1", "eth0"), "utf8"));
      expect(Buffer.from(cached.config, "base64").toString()).toBe(net.bytes);
      await cni.checkNetwork(net, rt);
      await cni.delNetwork(net, rt);
      expect(s.calls().map((c) => c.verb)).toEqual(["ADD", "CHECK", "DEL"]);
    });
  });

  describe("validation and versions", () => {
    it("collects every plugin's problem and returns declared capabilities", async () => {
      s.plugin("v1", { body: `[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'; exit 0; }` });
      s.plugin("v04", { body: `[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"0.4.0","supportedVersions":["0.4.0"]}'; exit 0; }` });
      const good = list([{ type: "v1", capabilities: { portMappings: true, mac: false } }]);
      expect(await cni.validateNetworkList(good)).toEqual(["portMappings"]);
      const e = await cniRejection(cni.validateNetworkList(list([{ type: "v1" }, { type: "v04" }, { type: "ghost" }])));
      expect(e.msg).toContain('plugin v04 does not support config version "1.0.0"');
      expect(e.msg).toContain('plugin ghost: failed to find plugin "ghost"');
      expect((await cni.getVersionInfo("v04")).supportedVersions).toEqual(["0.4.0"]);
    });
  });

  describe("cancellation", () => {
    it("kills the running plugin when the signal aborts and caches nothing", async () => {
      s.plugin("slow", { body: "exec sleep 5" });
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("pod deleted")), 100);
      const e = await cniRejection(cni.addNetworkList(list([{ type: "slow" }]), rt, { signal: ac.signal }));
      expect(e.msg).toMatch(/^plugin type="slow" failed \(add\): plugin .*slow was cancelled: pod deleted$/);
      expect(s.hasCache("net", "ctr-1", "eth0")).toBe(false);
    });

    it("applies the runtime's timeout", async () => {
      s.plugin("slow", { body: "exec sleep 5" });
      const timed = new CniRuntime({ path: [s.bin], cacheDir: s.cacheDir, env: baseEnv, timeoutMs: 150 });
      const e = await cniRejection(timed.delNetworkList(list([{ type: "slow" }]), rt));
      expect(e.msg).toMatch(/timed out after 150 ms and was killed$/);
    });
  });
});
