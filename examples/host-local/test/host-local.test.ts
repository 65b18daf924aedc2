import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { GO, OURS, addressesOf, claims, network, reservations, run, tempDataDirs } from "./support.js";

const dataDir = tempDataDirs();

const skip = skipReason({ executables: [OURS] });

describe.skipIf(skip)("host-local ADD, CHECK, DEL, DEL again in every version", () => {
  it.each(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])("cniVersion %s", async (cniVersion) => {
    const dir = dataDir("ver");
    const config = network({
      cniVersion,
      dataDir: dir,
      ipam: {
        ranges: [[{ subnet: "169.254.30.0/24" }], [{ subnet: "fd00:30::/120" }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "fd00::/8", gw: "fd00:30::1" }],
      },
    });
    const add = await run({ command: "ADD", config, containerId: "ctr1" });
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    if (cniVersion.startsWith("0.1") || cniVersion.startsWith("0.2")) {
      expect(add.json).toEqual({
        cniVersion,
        ip4: { ip: "169.254.30.2/24", gateway: "169.254.30.1", routes: [{ dst: "0.0.0.0/0" }] },
        ip6: { ip: "fd00:30::2/120", gateway: "fd00:30::1", routes: [{ dst: "fd00::/8", gw: "fd00:30::1" }] },
      });
    } else {
      const versioned = cniVersion.startsWith("0.");
      expect(add.json).toMatchObject({
        cniVersion,
        ips: [
          { address: "169.254.30.2/24", gateway: "169.254.30.1", ...(versioned && { version: "4" }) },
          { address: "fd00:30::2/120", gateway: "fd00:30::1", ...(versioned && { version: "6" }) },
        ],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "fd00::/8", gw: "fd00:30::1" }],
      });
      // The abbreviated IPAM result: no interfaces, no interface index.
      expect(add.json).not.toHaveProperty("interfaces");
      for (const ip of (add.json as { ips: object[] }).ips) expect(ip).not.toHaveProperty("interface");
    }
    expect(reservations(dir, "hlnet")).toEqual({ "169.254.30.2": "ctr1\r\neth0", "fd00:30::2": "ctr1\r\neth0" });
    expect(claims(dir)).toEqual(["169.254.30.2", "fd00:30::2"]);

    if (!cniVersion.startsWith("0.1") && !cniVersion.startsWith("0.2") && !cniVersion.startsWith("0.3")) {
      const check = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, containerId: "ctr1" });
      expect(check.exitCode, check.stdout).toBe(0);
      expect(check.stdout).toBe("");
    }
    for (let i = 0; i < 2; i++) {
      const del = await run({ command: "DEL", config, containerId: "ctr1" });
      expect(del.exitCode, del.stdout).toBe(0);
      expect(reservations(dir, "hlnet")).toEqual({});
      expect(claims(dir)).toEqual([]);
    }
  });
});

describe.skipIf(skip)("host-local addresses", () => {
  it("hands out consecutive addresses, skips the gateway, reuses nothing still held", async () => {
    const dir = dataDir("seq");
    const config = network({ dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.30.0/24", rangeStart: "169.254.30.1", gateway: "169.254.30.2" }]] } });
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run({ command: "ADD", config, containerId: `c${i}` });
      got.push(...addressesOf(r.json));
    }
    expect(got).toEqual(["169.254.30.1", "169.254.30.3", "169.254.30.4"]);
  });

  it("gives a retried ADD the address it already holds", async () => {
    const dir = dataDir("retry");
    const config = network({ dataDir: dir });
    const a = await run({ command: "ADD", config, containerId: "c1" });
    const b = await run({ command: "ADD", config, containerId: "c1" });
    expect(addressesOf(b.json)).toEqual(addressesOf(a.json));
    expect(Object.keys(reservations(dir, "hlnet"))).toHaveLength(1);
  });

  it("reserves what the ips capability, args.cni.ips and IP= ask for", async () => {
    const dir = dataDir("req");
    const ranges = [[{ subnet: "169.254.30.0/24" }], [{ subnet: "fd00:30::/120" }]];
    const base = network({ dataDir: dir, ipam: { ranges } });
    const cap = await run({ command: "ADD", config: { ...base, runtimeConfig: { ips: ["169.254.30.50/24", "fd00:30::50"] } }, containerId: "c1" });
    expect(addressesOf(cap.json)).toEqual(["169.254.30.50", "fd00:30::50"]);
    const env = await run({ command: "ADD", config: base, containerId: "c2", args: "IgnoreUnknown=1;K8S_POD_NAME=x;IP=169.254.30.60,fd00:30::60" });
    expect(addressesOf(env.json)).toEqual(["169.254.30.60", "fd00:30::60"]);
    // args.cni.ips wins over CNI_ARGS (CONVENTIONS.md); the other range set is allocated normally.
    const args = await run({ command: "ADD", config: { ...base, args: { cni: { ips: ["169.254.30.70"] } } }, containerId: "c3", args: "IP=169.254.30.71" });
    expect(addressesOf(args.json)[0]).toBe("169.254.30.70");
    const taken = await run({ command: "ADD", config: base, containerId: "c4", args: "IP=169.254.30.50" });
    expect(taken.json).toMatchObject({ code: 11, msg: "CNI_ARGS IP: 169.254.30.50 is held by another container" });
    expect(reservations(dir, "hlnet")["169.254.30.50"]).toBe("c1\r\neth0");
    // A failed ADD leaves nothing behind: c5 got an IPv4 address from set 0, then set 1 failed, so it was released.
    const rollback = await run({ command: "ADD", config: base, containerId: "c5", args: "IP=fd00:30::50" });
    expect(rollback.json).toMatchObject({ code: 11, msg: "CNI_ARGS IP: fd00:30::50 is held by another container" });
    expect(Object.values(reservations(dir, "hlnet")).filter((v) => v.startsWith("c4") || v.startsWith("c5"))).toEqual([]);
    expect(claims(dir)).toEqual(Object.keys(reservations(dir, "hlnet")).sort());
  });

  it("takes ranges from the ipRanges capability, and the legacy single-subnet form", async () => {
    const dir = dataDir("cap");
    const fromCap = await run({
      command: "ADD",
      config: network({ dataDir: dir, extra: { runtimeConfig: { ipRanges: [[{ subnet: "169.254.31.0/24" }]] } } }),
      containerId: "c1",
    });
    expect(addressesOf(fromCap.json)).toEqual(["169.254.31.2"]);
    const legacy = await run({
      command: "ADD",
      config: network({ name: "legacy", dataDir: dir, ipam: { ranges: undefined, subnet: "169.254.32.0/24", rangeStart: "169.254.32.100", gateway: "169.254.32.254" } }),
      containerId: "c1",
    });
    expect(legacy.json).toMatchObject({ ips: [{ address: "169.254.32.100/24", gateway: "169.254.32.254" }] });
  });

  it("returns routes and DNS from resolvConf merged with ipam.dns", async () => {
    const dir = dataDir("dns");
    const resolv = join(dir, "resolv.conf");
    writeFileSync(resolv, "# test\nnameserver 169.254.0.53\nsearch a.example b.example\noptions ndots:2\ndomain example\n");
    const r = await run({
      command: "ADD",
      config: network({ dataDir: dir, ipam: { resolvConf: resolv, dns: { domain: "override.example" } } }),
    });
    expect(r.json).toMatchObject({
      dns: { nameservers: ["169.254.0.53"], search: ["a.example", "b.example"], options: ["ndots:2"], domain: "override.example" },
    });
  });
});

describe.skipIf(skip)("host-local refuses bad config with code 7 naming field and value", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["rangeStart outside the subnet", { ranges: [[{ subnet: "169.254.30.0/24", rangeStart: "169.254.31.5" }]] }, "ipam.ranges[0][0].rangeStart: 169.254.31.5 is not in subnet 169.254.30.0/24"],
    ["overlapping range sets", { ranges: [[{ subnet: "169.254.30.0/24" }], [{ subnet: "169.254.30.128/25" }]] }, "ipam.ranges[1][0]: range 169.254.30.129-169.254.30.254 overlaps ipam.ranges[0][0]"],
    ["broadcast gateway", { ranges: [[{ subnet: "169.254.30.0/24", gateway: "169.254.30.255" }]] }, "ipam.ranges[0][0].gateway: 169.254.30.255 is the broadcast address"],
    ["network address as rangeStart", { ranges: [[{ subnet: "169.254.30.0/24", rangeStart: "169.254.30.0" }]] }, "network address"],
    ["host bits", { ranges: [[{ subnet: "169.254.30.1/24" }]] }, "ipam.ranges[0][0].subnet: \"169.254.30.1/24\" has host bits set"],
    ["mixed families", { ranges: [[{ subnet: "169.254.30.0/24" }, { subnet: "fd00::/64" }]] }, "ipam.ranges[0][1].subnet: mixes IPv4 and IPv6"],
    ["a typo in a range key", { ranges: [[{ subnet: "169.254.30.0/24", rangestart: "169.254.30.9" }]] }, 'ipam.ranges[0][0]: unknown key "rangestart"'],
    ["no ranges", { ranges: undefined }, "ipam.ranges: no ranges"],
    ["a relative dataDir", { dataDir: "relative/dir" }, "ipam.dataDir: \"relative/dir\" is not an absolute path"],
    ["a bad route", { routes: [{ dst: "0.0.0.0" }] }, "ipam.routes[0].dst: \"0.0.0.0\" is not a CIDR"],
  ];
  it.each(cases)("%s", async (_name, ipam, text) => {
    const dir = dataDir("bad");
    const r = await run({ command: "ADD", config: network({ dataDir: dir, ipam: { ...ipam } }) });
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ code: 7 });
    const { msg, details } = r.json as { msg: string; details?: string };
    expect(`${msg} ${details ?? ""}`).toContain(text);
    expect(r.stdout).not.toContain("    at ");
  });

  it("refuses a requested address outside every range with code 4 for CNI_ARGS, 7 for the config", async () => {
    const dir = dataDir("badreq");
    const env = await run({ command: "ADD", config: network({ dataDir: dir }), args: "IP=169.254.99.1" });
    expect(env.json).toMatchObject({ code: 7, msg: "CNI_ARGS IP: 169.254.99.1 is in no range set (0: 169.254.30.1-169.254.30.254)" });
    const malformed = await run({ command: "ADD", config: network({ dataDir: dir }), args: "IP=169.254.999.1" });
    expect(malformed.json).toMatchObject({ code: 4, msg: 'CNI_ARGS IP: "169.254.999.1" is not an IP address' });
    const cap = await run({ command: "ADD", config: { ...network({ dataDir: dir }), runtimeConfig: { ips: ["nope"] } } });
    expect(cap.json).toMatchObject({ code: 7, msg: 'runtimeConfig.ips[0]: "nope" is not an IP address' });
  });

  it("refuses two IPv4 range sets for a 0.2.0 config (its result has room for one)", async () => {
    const dir = dataDir("v02");
    const r = await run({
      command: "ADD",
      config: network({ cniVersion: "0.2.0", dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.30.0/24" }], [{ subnet: "169.254.31.0/24" }]] } }),
    });
    expect(r.json).toMatchObject({ code: 7 });
    expect((r.json as { msg: string }).msg).toContain("cniVersion 0.2.0 results carry one IPv4 address");
  });
});

describe.skipIf(skip)("host-local DEL of a config edited after ADD", () => {
  it("still releases when the ranges no longer validate (DEL needs only name and dataDir)", async () => {
    const dir = dataDir("edited");
    await run({ command: "ADD", config: network({ dataDir: dir }), containerId: "c1" });
    const edited = network({ dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.30.1/24", rangestart: "x" }]] } });
    expect((await run({ command: "ADD", config: edited, containerId: "c2" })).json).toMatchObject({ code: 7 });
    const del = await run({ command: "DEL", config: edited, containerId: "c1" });
    expect(del.exitCode, del.stdout).toBe(0);
    expect(reservations(dir, "hlnet")).toEqual({});
  });
});

describe.skipIf(skip)("host-local CHECK", () => {
  it("fails when the reservation is gone or prevResult names an address it does not hold", async () => {
    const dir = dataDir("check");
    const config = network({ dataDir: dir });
    const add = await run({ command: "ADD", config, containerId: "c1" });
    const other = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, containerId: "c2" });
    expect(other.json).toMatchObject({ code: 3, msg: "no address reserved for container c2 interface eth0 in network hlnet in range set 0 (169.254.30.1-169.254.30.254)" });
    const wrong = { ...(add.json as object), ips: [{ address: "169.254.30.9/24" }] };
    const mismatch = await run({ command: "CHECK", config: { ...config, prevResult: wrong }, containerId: "c1" });
    expect(mismatch.json).toMatchObject({ code: 3, msg: "prevResult.ips[0].address 169.254.30.9/24 is not reserved for container c1 interface eth0 in network hlnet" });
    await run({ command: "DEL", config, containerId: "c1" });
    const gone = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, containerId: "c1" });
    expect(gone.exitCode).toBe(1);
    expect(gone.json).toMatchObject({ code: 3 });
  });
});

describe.skipIf(skip)("host-local GC (Go's plugin has none)", () => {
  it("releases every reservation not in cni.dev/valid-attachments, in this network only", async () => {
    const dir = dataDir("gc");
    const config = network({ dataDir: dir });
    const otherNet = network({ name: "othernet", dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.31.0/24" }]] } });
    for (const id of ["keep", "drop1", "drop2"]) await run({ command: "ADD", config, containerId: id });
    await run({ command: "ADD", config, containerId: "keep", ifName: "net1" });
    await run({ command: "ADD", config: otherNet, containerId: "drop1" });
    const gc = await run({
      command: "GC",
      config: { ...config, "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }, { containerID: "keep", ifname: "net1" }] },
    });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(gc.stdout).toBe("");
    expect(Object.values(reservations(dir, "hlnet")).sort()).toEqual(["keep\r\neth0", "keep\r\nnet1"]);
    expect(Object.values(reservations(dir, "othernet"))).toEqual(["drop1\r\neth0"]);
    expect(claims(dir)).toHaveLength(3);
  });
});

describe.skipIf(skip)("host-local STATUS", () => {
  it("succeeds while every range set has room, code 50 once one is exhausted", async () => {
    const dir = dataDir("status");
    const config = network({ dataDir: dir, ipam: { ranges: [[{ subnet: "169.254.30.0/24" }], [{ subnet: "169.254.31.0/30" }]] } });
    const ok = await run({ command: "STATUS", config });
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout).toBe("");
    await run({ command: "ADD", config, containerId: "c1" }); // takes 169.254.31.2, the /30's only non-gateway address
    const full = await run({ command: "STATUS", config });
    expect(full.exitCode).toBe(1);
    expect(full.json).toMatchObject({ code: 50, msg: "no free address in range set 1 (169.254.31.1-169.254.31.2) of network hlnet" });
    const add = await run({ command: "ADD", config, containerId: "c2" });
    expect(add.json).toMatchObject({ code: 11 });
  });

  it("counts addresses other networks of the data directory hold", async () => {
    const dir = dataDir("status2");
    const ranges = [[{ subnet: "169.254.31.0/30" }]];
    await run({ command: "ADD", config: network({ name: "a", dataDir: dir, ipam: { ranges } }), containerId: "c1" });
    const r = await run({ command: "STATUS", config: network({ name: "b", dataDir: dir, ipam: { ranges } }) });
    expect(r.json).toMatchObject({ code: 50 });
  });

  it("is code 50 when the data directory is not usable", async () => {
    const dir = dataDir("status3");
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    const r = await run({ command: "STATUS", config: network({ dataDir: file }) });
    expect(r.json).toMatchObject({ code: 50 });
    expect((r.json as { msg: string }).msg).toContain(file);
    const ro = join(dir, "readonly");
    mkdirSync(join(ro, "hlnet"), { recursive: true });
    chmodSync(join(ro, "hlnet"), 0o555);
    // root ignores mode bits, so only a non-root run can see this one fail; root must still answer 0 or 50.
    const r2 = await run({ command: "STATUS", config: network({ dataDir: ro }) });
    expect([0, 1]).toContain(r2.exitCode);
  });
});

describe.skipIf(skipReason({ executables: [OURS, GO] }))("same answers as Go's host-local", () => {
  it.each(["0.3.0", "0.3.1", "0.4.0", "1.0.0"])("cniVersion %s", async (cniVersion) => {
    const ipam = {
      ranges: [[{ subnet: "169.254.30.0/24", rangeStart: "169.254.30.10", rangeEnd: "169.254.30.20" }], [{ subnet: "fd00:30::/120" }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "169.254.0.0/16", gw: "169.254.30.1" }],
    };
    const answers = [];
    for (const binary of [GO, OURS]) {
      const dir = dataDir("same");
      const config = network({ cniVersion, dataDir: dir, ipam });
      const first = await run({ binary, command: "ADD", config, containerId: "c1" });
      const second = await run({ binary, command: "ADD", config, containerId: "c2", args: "IP=169.254.30.15" });
      const { dns: _d1, ...a } = first.json as Record<string, unknown>;
      const { dns: _d2, ...b } = second.json as Record<string, unknown>;
      answers.push({ a, b, files: reservations(dir, "hlnet") });
    }
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe.skipIf(skip)("host-local exec'd with nothing but the CNI variables (env -i)", () => {
  it("finds flock(1) without PATH and allocates", async () => {
    const { spawnSync } = await import("node:child_process");
    const dir = dataDir("envi");
    const r = spawnSync("env", ["-i", "CNI_COMMAND=ADD", "CNI_CONTAINERID=envi", "CNI_NETNS=/var/run/netns/x", "CNI_IFNAME=eth0", OURS], {
      input: JSON.stringify(network({ dataDir: dir })),
      encoding: "utf8",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(addressesOf(JSON.parse(r.stdout))).toEqual(["169.254.30.2"]);
    expect(reservations(dir, "hlnet")).toEqual({ "169.254.30.2": "envi\r\neth0" });
  });
});
