/**
 * cluster-ipam against a real 3-member etcd cluster on 127.0.0.1: several
 * simulated nodes (node names) allocating at once from one range, every
 * verb, the key layout an operator reads, and the invariant that no address
 * key exists without its index key or the other way round.
 */
import { type TestEtcdCluster, startEtcdCluster } from "@tscni/etcd/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS, addKilledAfter, addressesOf, network, orphans, readNetwork, run } from "./support.js";

const skip = skipReason({ commands: ["etcd"], executables: [OURS] });

describe.skipIf(skip)(`cluster-ipam on a 3-member etcd${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let etcd: TestEtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ members: 3 });
  });
  afterAll(() => etcd?.stop());

  it("ADD, CHECK, DEL, DEL again: keys an operator can read, and nothing left", async () => {
    const config = network({ name: "basic", endpoints: etcd.endpoints, ipam: { routes: [{ dst: "169.254.0.0/16" }] } });
    const add = await run({ command: "ADD", config, node: "node-a", containerId: "ctr1" });
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(add.json).toMatchObject({
      cniVersion: "1.1.0",
      ips: [{ address: "169.254.60.2/24", gateway: "169.254.60.1" }],
      routes: [{ dst: "169.254.0.0/16" }],
    });
    const keys = await readNetwork(etcd.endpoints, "basic");
    expect(keys.addresses.get("169.254.60.2")).toMatchObject({ node: "node-a", containerId: "ctr1", ifName: "eth0" });
    expect(keys.attachments.get("ctr1/eth0")).toMatchObject({ node: "node-a", addresses: ["169.254.60.2"] });

    // A retried ADD gets the same address back, not a second one.
    const again = await run({ command: "ADD", config, node: "node-a", containerId: "ctr1" });
    expect(addressesOf(again.json)).toEqual(["169.254.60.2"]);

    const check = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, node: "node-a", containerId: "ctr1" });
    expect(check.exitCode, check.stdout).toBe(0);
    const wrong = await run({
      command: "CHECK",
      config: { ...config, prevResult: { cniVersion: "1.1.0", ips: [{ address: "169.254.60.9/24" }] } },
      node: "node-a",
      containerId: "ctr1",
    });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.json).toMatchObject({ code: 3, msg: expect.stringContaining("169.254.60.9/24 is not reserved") });

    for (let i = 0; i < 2; i++) {
      const del = await run({ command: "DEL", config, node: "node-a", containerId: "ctr1" });
      expect(del.exitCode, del.stdout).toBe(0);
    }
    const after = await readNetwork(etcd.endpoints, "basic");
    expect([...after.addresses.keys(), ...after.attachments.keys()]).toEqual([]);
    const checkGone = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, node: "node-a", containerId: "ctr1" });
    expect(checkGone.json).toMatchObject({ code: 3 });

    // Released addresses are not reused at once: the next ADD continues after the last one handed out.
    const next = await run({ command: "ADD", config, node: "node-b", containerId: "ctr2" });
    expect(addressesOf(next.json)).toEqual(["169.254.60.3"]);
  });

  it("3 nodes x 16 concurrent ADDs into one /24: 48 distinct addresses, no orphan key", { timeout: 120_000 }, async () => {
    const config = network({ name: "load24", endpoints: etcd.endpoints });
    const runs = await Promise.all(
      ["node-a", "node-b", "node-c"].flatMap((node) =>
        Array.from({ length: 16 }, (_, i) => run({ command: "ADD", config, node, containerId: `${node}-${i}` })),
      ),
    );
    expect(runs.filter((r) => r.exitCode !== 0).map((r) => r.stdout)).toEqual([]);
    const addresses = runs.flatMap((r) => addressesOf(r.json));
    expect(new Set(addresses).size).toBe(48);
    const keys = await readNetwork(etcd.endpoints, "load24");
    expect(keys.addresses.size).toBe(48);
    expect(orphans(keys)).toEqual([]);
    expect(new Set([...keys.attachments.values()].map((a) => a.node))).toEqual(new Set(["node-a", "node-b", "node-c"]));
  });

  // A /26 has 62 host addresses; one is the gateway, which is never handed out: 61 for containers.
  it("3 nodes x 32 ADDs into a /26: the 61 addresses besides the gateway handed out once each, the rest refused cleanly", { timeout: 180_000 }, async () => {
    const config = network({ name: "full26", endpoints: etcd.endpoints, subnet: "169.254.61.0/26" });
    const runs = await Promise.all(
      ["node-a", "node-b", "node-c"].flatMap((node) =>
        Array.from({ length: 32 }, (_, i) => run({ command: "ADD", config, node, containerId: `${node}-${i}` })),
      ),
    );
    const ok = runs.filter((r) => r.exitCode === 0);
    const refused = runs.filter((r) => r.exitCode !== 0);
    const addresses = ok.flatMap((r) => addressesOf(r.json));
    expect(ok.length).toBe(61);
    expect(new Set(addresses).size).toBe(61);
    expect(addresses).not.toContain("169.254.61.1");
    for (const r of refused) {
      expect(r.json, r.stdout).toMatchObject({ code: 11, msg: expect.stringContaining("no free address in range set 0 (169.254.61.1-169.254.61.62)") });
    }
    const keys = await readNetwork(etcd.endpoints, "full26");
    expect(keys.addresses.size).toBe(61);
    expect(orphans(keys)).toEqual([]);
  });

  it("IP= and runtimeConfig.ips reserve that address; one held elsewhere is refused; exclude is never handed out", async () => {
    const config = network({ name: "asked", endpoints: etcd.endpoints, ipam: { exclude: ["169.254.60.0/29"] } });
    const first = await run({ command: "ADD", config, node: "node-a", containerId: "a1" });
    expect(addressesOf(first.json)).toEqual(["169.254.60.8"]);
    const viaArgs = await run({ command: "ADD", config, node: "node-a", containerId: "a2", args: "IP=169.254.60.77" });
    expect(addressesOf(viaArgs.json)).toEqual(["169.254.60.77"]);
    const viaRuntime = await run({ command: "ADD", config: { ...config, runtimeConfig: { ips: ["169.254.60.78/24"] } }, node: "node-b", containerId: "a3" });
    expect(addressesOf(viaRuntime.json)).toEqual(["169.254.60.78"]);
    const taken = await run({ command: "ADD", config, node: "node-b", containerId: "a4", args: "IP=169.254.60.77" });
    expect(taken.json).toMatchObject({ code: 11, msg: expect.stringContaining("169.254.60.77 is held by another container") });
    const excluded = await run({ command: "ADD", config, node: "node-b", containerId: "a5", args: "IP=169.254.60.3" });
    expect(excluded.json).toMatchObject({ code: 7, msg: expect.stringContaining("excluded by ipam.exclude 169.254.60.0/29") });
    expect(orphans(await readNetwork(etcd.endpoints, "asked"))).toEqual([]);
  });

  it("GC releases exactly this node's stale reservations, never another node's", async () => {
    const config = network({ name: "gcnet", endpoints: etcd.endpoints });
    for (const [node, id] of [["node-a", "keep"], ["node-a", "stale"], ["node-b", "other"]] as const) {
      expect((await run({ command: "ADD", config, node, containerId: id })).exitCode).toBe(0);
    }
    const gc = await run({ command: "GC", config: { ...config, "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] }, node: "node-a" });
    expect(gc.exitCode, gc.stdout).toBe(0);
    const keys = await readNetwork(etcd.endpoints, "gcnet");
    expect([...keys.attachments.keys()].sort()).toEqual(["keep/eth0", "other/eth0"]);
    expect(orphans(keys)).toEqual([]);
  });

  it("STATUS succeeds with a quorum", async () => {
    const status = await run({ command: "STATUS", config: network({ name: "st", endpoints: etcd.endpoints }), node: "node-a" });
    expect(status.exitCode, status.stdout).toBe(0);
  });

  it("kill -9 of the plugin at random moments in ADD and DEL (50 runs): once DEL is retried, no orphan key and nothing held", { timeout: 180_000 }, async () => {
    const config = network({ name: "killed", endpoints: etcd.endpoints });
    for (let i = 0; i < 50; i++) {
      const call = { command: "ADD" as const, config, node: `node-${i % 3}`, containerId: `k${i}` };
      await addKilledAfter(call, 20 + Math.floor(Math.random() * 60));
      if (i % 2) await addKilledAfter({ ...call, command: "DEL" }, 20 + Math.floor(Math.random() * 60));
      expect(orphans(await readNetwork(etcd.endpoints, "killed"))).toEqual([]);
    }
    // The runtime retries DEL for every container whose ADD or DEL did not report success.
    const dels = await Promise.all(Array.from({ length: 50 }, (_, i) => run({ command: "DEL", config, node: `node-${i % 3}`, containerId: `k${i}` })));
    expect(dels.filter((d) => d.exitCode !== 0).map((d) => d.stdout)).toEqual([]);
    const keys = await readNetwork(etcd.endpoints, "killed");
    expect([...keys.addresses.keys(), ...keys.attachments.keys()]).toEqual([]);
  });

  it("bad configs are refused with code 7 naming the field, on every verb, before etcd is asked", async () => {
    const both = ["ADD", "DEL"] as const;
    const cases: [Record<string, unknown>, string, readonly ("ADD" | "DEL")[]][] = [
      [{ etcd: { endpoints: [] } }, "etcd.endpoints", both],
      [{ etcd: { endpoints: ["ftp://127.0.0.1:1"] } }, "etcd.endpoints[0]", both],
      [{ etcd: { endpoints: etcd.endpoints, prefix: "no-slash" } }, "etcd.prefix", both],
      [{ etcd: { endpoints: etcd.endpoints, tls: { ca: "/nonexistent/ca.pem" } } }, "ipam.etcd.tls.ca", both],
      [{ nodeName: "bad/name" }, "ipam.nodeName", both],
      // DEL releases by attachment and needs no ranges: only ADD reads these.
      [{ exclude: ["nope"] }, "ipam.exclude[0]", ["ADD"]],
      [{ ranges: [[{ subnet: "169.254.60.0/33" }]] }, "ipam.ranges[0][0]", ["ADD"]],
    ];
    for (const [ipam, field, verbs] of cases) {
      const config = network({ name: "bad", endpoints: etcd.endpoints, ipam });
      for (const command of verbs) {
        const r = await run({ command, config, node: "node-a", containerId: "b1" });
        expect(r.exitCode, `${command} ${field}`).toBe(1);
        expect(r.json, `${command} ${field}`).toMatchObject({ code: 7, msg: expect.stringContaining(field) });
      }
    }
  });
});

describe.skipIf(skip)(`cluster-ipam when etcd members die${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let etcd: TestEtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ members: 3 });
  });
  afterAll(() => etcd?.stop());

  it("one member killed mid-run: every ADD succeeds, all distinct; two killed: code 11 within the bound; restarted: ADDs succeed", { timeout: 180_000 }, async () => {
    const config = network({ name: "faults", endpoints: etcd.endpoints, etcd: { timeoutMs: 4_000 } });
    const [m0, m1] = etcd.members;
    const running = Array.from({ length: 24 }, (_, i) => run({ command: "ADD", config, node: `node-${i % 3}`, containerId: `f${i}` }));
    await new Promise((r) => setTimeout(r, 150));
    await m0!.kill();
    const runs = await Promise.all(running);
    expect(runs.filter((r) => r.exitCode !== 0).map((r) => r.stdout)).toEqual([]);
    expect(new Set(runs.flatMap((r) => addressesOf(r.json))).size).toBe(24);

    await m1!.kill();
    const started = Date.now();
    const lost = await run({ command: "ADD", config, node: "node-a", containerId: "noquorum" });
    const took = Date.now() - started;
    expect(lost.exitCode).toBe(1);
    expect(lost.json).toMatchObject({ code: 11 });
    expect(took).toBeLessThan(4_000 + 3_000);
    const del = await run({ command: "DEL", config, node: "node-a", containerId: "f0" });
    expect(del.json, "a DEL without quorum is never reported as done").toMatchObject({ code: 11 });
    const status = await run({ command: "STATUS", config, node: "node-a" });
    expect(status.json).toMatchObject({ code: 50 });

    await m0!.restart();
    await m1!.restart();
    await etcd.waitReady();
    const back = await run({ command: "ADD", config, node: "node-a", containerId: "noquorum" });
    expect(back.exitCode, back.stdout).toBe(0);
    const keys = await readNetwork(etcd.endpoints, "faults");
    expect(orphans(keys)).toEqual([]);
    expect(keys.addresses.size).toBe(25);
  });
});

describe.skipIf(skipReason({ commands: ["etcd", "openssl"], executables: [OURS] }))("cluster-ipam over TLS", () => {
  let etcd: TestEtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ tls: true });
  });
  afterAll(() => etcd?.stop());

  it("with the CA and a client certificate from files: ADD and DEL; without the client certificate: code 11, never success", async () => {
    const files = etcd.tlsFiles!;
    const config = network({ name: "tlsnet", endpoints: etcd.endpoints, etcd: { tls: files } });
    const add = await run({ command: "ADD", config, node: "node-a", containerId: "t1" });
    expect(add.exitCode, add.stdout).toBe(0);
    expect((await readNetwork(etcd.endpoints, "tlsnet", etcd.tls)).attachments.has("t1/eth0")).toBe(true);
    const noCert = network({ name: "tlsnet", endpoints: etcd.endpoints, etcd: { tls: { ca: files.ca }, timeoutMs: 1_500 } });
    const refused = await run({ command: "DEL", config: noCert, node: "node-a", containerId: "t1" });
    expect(refused.json).toMatchObject({ code: 11 });
    const del = await run({ command: "DEL", config, node: "node-a", containerId: "t1" });
    expect(del.exitCode, del.stdout).toBe(0);
    expect((await readNetwork(etcd.endpoints, "tlsnet", etcd.tls)).attachments.size).toBe(0);
  });
});
