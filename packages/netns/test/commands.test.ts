import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { CniError } from "@tscni/types";
import { interfaceNameProblem } from "@tscni/types/names";
import { assertIfName, assertToolsInstalled, ifNameProblem, isNetnsError, netns, NetnsError, parseLinks, routeAdd, routeSpecOf } from "@tscni/netns";
import { findTool, spawnRunner } from "@tscni/netns/exec";
import { kindFromStderr, parseRoutes, randomMac, sysctlPath } from "@tscni/netns/internal";
import type { Runner } from "@tscni/netns/exec";
import { cniError } from "../../../test/support/cni-error.js";

describe("names", () => {
  test.each([
    ["", "is empty"],
    ["..", "is . or .."],
    ["a".repeat(16), "is 16 bytes long, the limit is 15"],
    ["éééééééé", "is 16 bytes long, the limit is 15"],
    ["eth 0", "contains whitespace"],
    ["eth0#x", "contains whitespace"],
    ["a/b", "contains whitespace"],
    ["a\u0000b", "a control character"],
  ])("%j is refused: %s", (name, why) => {
    expect(ifNameProblem(name)).toContain(why);
    expect(() => assertIfName(name, "CNI_IFNAME")).toThrow(CniError);
  });

  test("any name that passes is one batch token of at most 15 bytes; any that fails is a CniError naming it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 24 }), (name) => {
        let accepted: string | undefined;
        try {
          accepted = assertIfName(name, "CNI_IFNAME");
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          expect((e as CniError).msg).toContain(`invalid CNI_IFNAME ${JSON.stringify(name)}`);
          return;
        }
        expect(Buffer.byteLength(accepted)).toBeLessThanOrEqual(15);
        // iproute2's batch tokenizer splits on " \t\r\n" only; Go's (and our) whitespace set is wider still.
        expect(accepted.split(/[ \t\r\n]+/u)).toEqual([accepted]);
        expect(interfaceNameProblem(accepted)).toBeUndefined();
        expect(/["'\\#/:\p{Cc}]/u.test(accepted)).toBe(false);
      }),
    );
  });

  test("U+FEFF is not whitespace for Go, so netns accepts it as skel and libcni do", () => {
    expect(ifNameProblem("a\ufeffb")).toBeUndefined();
  });

  test("a 15-byte name is accepted", () => {
    expect(assertIfName("a".repeat(15))).toBe("a".repeat(15));
  });

  test("sysctl keys map to /proc/sys and refuse escapes", () => {
    expect(sysctlPath("net.ipv4.ip_forward")).toBe("/proc/sys/net/ipv4/ip_forward");
    expect(sysctlPath("net/ipv6/conf/eth0.100/accept_dad")).toBe("/proc/sys/net/ipv6/conf/eth0.100/accept_dad");
    expect(() => sysctlPath("net/../../etc/passwd")).toThrow(/invalid sysctl key/);
  });

  test("random MACs are unicast and locally administered", () => {
    for (let i = 0; i < 50; i++) {
      const first = Number.parseInt(randomMac().slice(0, 2), 16);
      expect(first & 1).toBe(0);
      expect(first & 2).toBe(2);
    }
  });
});

describe("error classification", () => {
  test.each([
    ["nsenter: cannot open /run/netns/x: No such file or directory", "netns-missing", 3],
    ["nsenter: reassociate to namespace 'ns/net' failed: Invalid argument", "not-a-netns", 4],
    ["RTNETLINK answers: File exists", "exists", 999],
    ['Cannot find device "eth9"', "not-found", 999],
    ["Error: ipv4: Address not found.", "not-found", 999],
    ["RTNETLINK answers: Device or resource busy", "busy", 11],
    ["RTNETLINK answers: Operation not permitted", "permission", 999],
    ["Error: mtu less than device minimum.", "invalid", 999],
    ["something new", "failed", 999],
  ] as const)("%s -> %s (code %i)", (stderr, kind, code) => {
    expect(kindFromStderr(stderr)).toBe(kind);
    expect(new NetnsError(kind, "x").code).toBe(code);
  });
});

describe("the process runner", () => {
  test("a command that hangs is killed at the bound: kind timeout, code 11 (try again later)", async () => {
    const err = await spawnRunner(["/bin/sleep", "5"], { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isNetnsError(err, "timeout")).toBe(true);
    expect((err as NetnsError).code).toBe(11);
  });

  test("a tool that is not installed is kind tool-missing, naming the package to install", () => {
    const err = (() => {
      try {
        return findTool("tscni-no-such-tool");
      } catch (e) {
        return e;
      }
    })();
    expect(isNetnsError(err, "tool-missing")).toBe(true);
    expect((err as NetnsError).details).toContain("install iproute2");
  });

  test("STATUS's tool check: code 50 naming the missing tool; installed tools pass", () => {
    expect(() => assertToolsInstalled()).not.toThrow();
    const err = cniError(() => assertToolsInstalled(["ip", "tscni-no-such-tool"]));
    expect(err.code).toBe(50);
    expect(err.msg).toBe("tscni-no-such-tool is not installed");
    expect(err.details).toContain("install iproute2");
    expect(isNetnsError(err.cause, "tool-missing")).toBe(true);
  });

  test("stdout, stderr and a non-zero status come back, not thrown", async () => {
    const r = await spawnRunner(["/bin/sh", "-c", "cat; echo oops >&2; exit 3"], { stdin: "in" });
    expect(r).toEqual({ status: 3, stdout: "in", stderr: "oops\n" });
  });
});

/** Records argv and answers from a script: what the backend sends, without running anything. */
function recorder(answer: (argv: readonly string[], stdin: string | undefined) => { status: number; stdout?: string; stderr?: string }) {
  const calls: { argv: readonly string[]; stdin: string | undefined }[] = [];
  const runner: Runner = async (argv, options) => {
    calls.push({ argv, stdin: options?.stdin });
    const a = answer(argv, options?.stdin);
    return { status: a.status, stdout: a.stdout ?? "", stderr: a.stderr ?? "" };
  };
  return { calls, runner };
}

describe("command lines", () => {
  test("a namespace with a path runs ip under nsenter, argv only", async () => {
    const { calls, runner } = recorder(() => ({ status: 0 }));
    await netns("/run/netns/x", { runner }).setLink("eth0", { up: true, mtu: 1400, master: "br0", hairpin: true });
    const argv = calls[0]?.argv ?? [];
    expect(argv[0]).toMatch(/nsenter$/);
    expect(argv.slice(1, 3)).toEqual(["--net=/run/netns/x", "--"]);
    expect(argv.slice(4)).toEqual(["-batch", "-"]);
    expect(calls[0]?.stdin).toBe("link set dev eth0 mtu 1400 master br0 up\nlink set dev eth0 type bridge_slave hairpin on\n");
  });

  test("the host namespace runs ip directly", async () => {
    const { calls, runner } = recorder(() => ({ status: 0 }));
    await netns(undefined, { runner }).addRoute({ dst: "169.254.9.0/24", gw: "169.254.1.1", priority: 7, table: 100, scope: 0, mtu: 1300, advmss: 1200 });
    expect(calls[0]?.argv[0]).toMatch(/\/ip$/);
    expect(calls[0]?.argv.slice(1)).toEqual(["route", "add", "169.254.9.0/24", "via", "169.254.1.1", "metric", "7", "table", "100", "scope", "0", "mtu", "1300", "advmss", "1200"]);
  });

  test("bad values never reach ip", async () => {
    const { calls, runner } = recorder(() => ({ status: 0 }));
    const ns = netns("/run/netns/x", { runner });
    await expect(ns.addAddress({ dev: "eth0", cidr: "169.254.1.2" })).rejects.toThrow(/not a CIDR/);
    await expect(ns.addAddress({ dev: "eth0", cidr: "169.254.1.2/33" })).rejects.toThrow(/not a CIDR/);
    await expect(ns.addRoute({ dst: "169.254.0.0/16", gw: "x y" })).rejects.toThrow(/not an IP address/);
    await expect(ns.setLink("eth0", { mtu: 10 })).rejects.toThrow(/invalid MTU 10/);
    await expect(ns.setLink("eth0", { mac: "zz" })).rejects.toThrow(/invalid MAC/);
    expect(() => netns("relative/path")).toThrow(/not an absolute path/);
    expect(calls).toEqual([]);
  });

  test("a batch is one process and its failure names the failing line", async () => {
    const { calls, runner } = recorder(() => ({ status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:2\n' }));
    const ns = netns("/run/netns/x", { runner });
    const err = await ns.batch([["link", "set", "dev", "eth0", "up"], ["addr", "add", "169.254.1.2/24", "dev", "eth0"]]).catch((e: unknown) => e);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.stdin).toBe("link set dev eth0 up\naddr add 169.254.1.2/24 dev eth0\n");
    expect(isNetnsError(err, "exists")).toBe(true);
    expect((err as NetnsError).msg).toBe("ip addr add 169.254.1.2/24 dev eth0 failed in netns /run/netns/x");
    expect((err as NetnsError).details).toBe("RTNETLINK answers: File exists");
  });

  test("a veth pair with host lines is one process; a failing host line is named and the pair is handed over for undo", async () => {
    const container = netns("/run/netns/c");
    const port = (hostName: string) => [["link", "set", "dev", hostName, "master", "br0", "up"], ["addr", "replace", "169.254.1.1/24", "dev", "br0"]];
    const ok = recorder(() => ({ status: 0 }));
    const created: string[] = [];
    const pair = await netns(undefined, { runner: ok.runner }).createVethPair({ container, containerIfName: "eth0", hostName: "vtest0", thenHost: port, onCreated: (p) => created.push(p.hostName) });
    expect(ok.calls).toHaveLength(1);
    expect(ok.calls[0]?.argv.slice(1)).toEqual(["-batch", "-"]);
    expect(ok.calls[0]?.stdin?.split("\n").slice(1)).toEqual(["link set dev vtest0 master br0 up", "addr replace 169.254.1.1/24 dev br0", ""]);
    expect(ok.calls[0]?.stdin).toMatch(/^link add name vtest0 address \S+ type veth peer name eth0 address \S+ netns \/run\/netns\/c\n/u);
    expect(created).toEqual([pair.hostName]);

    const bad = recorder(() => ({ status: 1, stderr: "Error: Nexthop has invalid gateway.\nCommand failed -:3\n" }));
    const handed: string[] = [];
    const err = await netns(undefined, { runner: bad.runner })
      .createVethPair({ container, containerIfName: "eth0", hostName: "vtest0", thenHost: port, onCreated: (p) => handed.push(p.hostName) })
      .catch((e: unknown) => e);
    expect(bad.calls).toHaveLength(1);
    expect(isNetnsError(err, "invalid")).toBe(true);
    expect((err as NetnsError).msg).toBe("ip addr replace 169.254.1.1/24 dev br0 failed in the host namespace");
    expect((err as NetnsError).details).toBe("Error: Nexthop has invalid gateway.");
    expect((err as NetnsError).code).toBe(999);
    expect(handed).toEqual(["vtest0"]);
  });

  test("a veth pair whose first line fails is not handed over; a random host name that collides is retried with fresh host lines", async () => {
    let n = 0;
    const { calls, runner } = recorder((argv) => {
      if (argv.includes("-json")) return { status: 1, stderr: 'Device "eth0" does not exist.' };
      return n++ === 0 ? { status: 2, stderr: "RTNETLINK answers: File exists\nCommand failed -:1\n" } : { status: 0 };
    });
    const created: string[] = [];
    const container = netns("/run/netns/c", { runner });
    const pair = await netns(undefined, { runner }).createVethPair({ container, containerIfName: "eth0", thenHost: (h) => [["link", "set", "dev", h, "up"]], onCreated: (p) => created.push(p.hostName) });
    const batches = calls.filter((c) => c.argv.includes("-batch"));
    expect(batches).toHaveLength(2);
    expect(batches[1]?.stdin).toContain(`link set dev ${pair.hostName} up\n`);
    expect(batches[0]?.stdin).not.toContain(pair.hostName);
    expect(created).toEqual([pair.hostName]);

    const taken = recorder((argv) => (argv.includes("-json") ? { status: 0, stdout: JSON.stringify([{ ifindex: 2, ifname: "eth0", flags: [], mtu: 1500 }]) } : { status: 2, stderr: "RTNETLINK answers: File exists\nCommand failed -:1\n" }));
    const handed: string[] = [];
    const err = await netns(undefined, { runner: taken.runner })
      .createVethPair({ container: netns("/run/netns/c", { runner: taken.runner }), containerIfName: "eth0", thenHost: (h) => [["link", "set", "dev", h, "up"]], onCreated: (p) => handed.push(p.hostName) })
      .catch((e: unknown) => e);
    expect((err as NetnsError).msg).toBe("interface eth0 already exists in netns /run/netns/c");
    expect(handed).toEqual([]);
  });

  test("a veth batch that fails without naming a line (a timeout) hands the pair over when the kernel has it", async () => {
    const runner = (exists: boolean): Runner => async (argv) => {
      if (argv.includes("-batch")) throw new NetnsError("timeout", "ip -batch - did not finish in 5 ms");
      return exists ? { status: 0, stdout: JSON.stringify([{ ifindex: 9, ifname: "vtest0", flags: [], mtu: 1500 }]), stderr: "" } : { status: 1, stdout: "", stderr: 'Device "vtest0" does not exist.' };
    };
    for (const exists of [true, false]) {
      const handed: string[] = [];
      const err = await netns(undefined, { runner: runner(exists) })
        .createVethPair({ container: netns("/run/netns/c"), containerIfName: "eth0", hostName: "vtest0", thenHost: (h) => [["link", "set", "dev", h, "up"]], onCreated: (p) => handed.push(p.hostName) })
        .catch((e: unknown) => e);
      expect(isNetnsError(err, "timeout")).toBe(true);
      expect(handed).toEqual(exists ? ["vtest0"] : []);
    }
  });

  test("a result's route becomes a RouteSpec of the model's fields only", () => {
    const full = { dst: "169.254.9.0/24", gw: "169.254.1.1", mtu: 1300, advmss: 1200, priority: 7, table: 100, scope: 0 };
    expect(routeSpecOf(full)).toEqual(full);
    expect(routeSpecOf({ dst: "0.0.0.0/0" })).toEqual({ dst: "0.0.0.0/0" });
    const withExtra = { dst: "169.254.9.0/24", src: "169.254.1.9", note: "from some IPAM" };
    expect(routeSpecOf(withExtra)).toEqual({ dst: "169.254.9.0/24" });
    expect(routeAdd({ ...routeSpecOf(withExtra), dev: "eth0" }, true)).toEqual(["route", "replace", "169.254.9.0/24", "dev", "eth0"]);
  });

  test("deleting what is gone is success", async () => {
    const { runner } = recorder(() => ({ status: 1, stderr: 'Cannot find device "eth0"' }));
    await expect(netns("/run/netns/x", { runner }).deleteLink("eth0")).resolves.toBe(false);
  });

  test("ensureBridge refuses an existing link that is not a bridge", async () => {
    const { runner } = recorder((argv) => {
      if (argv.includes("add")) return { status: 2, stderr: "RTNETLINK answers: File exists" };
      if (argv.includes("-json")) return { status: 0, stdout: JSON.stringify([{ ifindex: 3, ifname: "br0", flags: ["UP"], mtu: 1500, linkinfo: { info_kind: "veth" } }]) };
      return { status: 0 };
    });
    await expect(netns("/run/netns/x", { runner }).ensureBridge({ name: "br0" })).rejects.toThrow(/br0 already exists in netns \/run\/netns\/x and is not a bridge/);
  });
});

describe("ip -json parsing", () => {
  test("routes normalise default, host routes, tables, scopes and metrics", () => {
    const routes = parseRoutes(
      JSON.stringify([
        { dst: "default", gateway: "169.254.1.1", dev: "eth0", flags: [] },
        { dst: "default", gateway: "fd00::1", dev: "eth0", metric: 1024, pref: "medium", flags: [] },
        { type: "local", dst: "169.254.1.2", dev: "eth0", table: "local", scope: "host", flags: [] },
        { dst: "169.254.9.0/24", gateway: "169.254.1.1", dev: "eth0", table: "100", metric: 7, scope: "link", metrics: [{ mtu: 1300, advmss: 1200 }], flags: [] },
      ]),
    );
    expect(routes).toEqual([
      { family: 4, dst: "0.0.0.0/0", gw: "169.254.1.1", dev: "eth0", table: 254, scope: 0, type: "unicast" },
      { family: 6, dst: "::/0", gw: "fd00::1", dev: "eth0", table: 254, scope: 0, metric: 1024, type: "unicast" },
      { family: 4, dst: "169.254.1.2/32", dev: "eth0", table: 255, scope: 254, type: "local" },
      { family: 4, dst: "169.254.9.0/24", gw: "169.254.1.1", dev: "eth0", table: 100, scope: 253, metric: 7, mtu: 1300, advmss: 1200, type: "unicast" },
    ]);
  });

  test("output that is not what iproute2 prints is a decode error naming the field", () => {
    expect(() => parseLinks(JSON.stringify([{ ifname: "eth0" }]))).toThrow(/unexpected ip -json output for links/);
    expect(() => parseLinks("not json")).toThrow(/cannot decode/);
  });
});
