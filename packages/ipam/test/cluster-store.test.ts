import { EtcdClient } from "@tscni/etcd";
import { type TestEtcdCluster, startEtcdCluster } from "@tscni/etcd/testkit";
import { CniError, ErrorCode } from "@tscni/types";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ClusterStore } from "../src/cluster-index.js";
import { formatIp, parseRangeSets } from "../src/index.js";
import { skipReason } from "../../../test/support/prereq.js";

const skip = skipReason({ commands: ["etcd"] });

describe.skipIf(skip)(`ClusterStore on a real etcd member${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let etcd: TestEtcdCluster;
  let client: EtcdClient;
  beforeAll(async () => {
    etcd = await startEtcdCluster();
    client = new EtcdClient({ endpoints: etcd.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });
  const rangeSets = parseRangeSets([[{ subnet: "169.254.63.0/24" }], [{ subnet: "fd00:63::/120" }]], "ipam.ranges");

  test("48 concurrent allocations from 3 nodes in one process: one address per range set each, all distinct, every key paired", async () => {
    const stores = ["n0", "n1", "n2"].map((node) => new ClusterStore({ client, network: "inproc", node }));
    const got = await Promise.all(
      Array.from({ length: 48 }, (_, i) => stores[i % 3]!.allocate({ owner: { containerId: `c${i}`, ifName: "eth0" }, rangeSets })),
    );
    const v4 = got.map((a) => formatIp(a[0]!.address));
    const v6 = got.map((a) => formatIp(a[1]!.address));
    expect(new Set(v4).size).toBe(48);
    expect(new Set(v6).size).toBe(48);
    const records = await stores[0]!.attachments();
    expect(records).toHaveLength(48);
    for (const r of records) {
      const [holder] = (await client.range(`/tscni/ipam/inproc/${r.addresses[0]}`)).kvs;
      expect(JSON.parse(holder!.value)).toMatchObject({ node: r.node, containerId: r.containerId, ifName: "eth0" });
    }
  });

  test("release keeps an address someone else holds now, even if a stale index still names it", async () => {
    const store = new ClusterStore({ client, network: "stale", node: "n0" });
    const [a] = await store.allocate({ owner: { containerId: "old", ifName: "eth0" }, rangeSets: [rangeSets[0]!] });
    const address = formatIp(a!.address);
    // Simulate an index that outlived its address: the address key deleted and re-created by another attachment.
    await client.txn({ compare: [], success: [{ delete: { key: `/tscni/ipam/stale/${address}` } }] });
    await client.txn({ compare: [], success: [{ put: { key: `/tscni/ipam/stale/${address}`, value: '{"node":"n1","containerId":"new","ifName":"eth0","time":"t"}' } }] });
    expect(await store.release({ containerId: "old", ifName: "eth0" })).toBe(true);
    expect((await client.range(`/tscni/ipam/stale/${address}`)).kvs[0]?.value).toContain('"containerId":"new"');
    expect(await store.release({ containerId: "old", ifName: "eth0" })).toBe(false);
  });

  test("an index record this plugin did not write is reported (code 5, naming the key), not trusted", async () => {
    await client.txn({ compare: [], success: [{ put: { key: "/tscni/ipam/junk/_attachments/x/eth0", value: "{not json" } }] });
    const store = new ClusterStore({ client, network: "junk", node: "n0" });
    const e = await store.release({ containerId: "x", ifName: "eth0" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CniError);
    expect((e as CniError).code).toBe(ErrorCode.IOFailure);
    expect((e as CniError).message).toContain("/tscni/ipam/junk/_attachments/x/eth0");
  });

  test("a prefix that is not a key path is refused with code 7", () => {
    expect(() => new ClusterStore({ client, network: "n", node: "n0", prefix: "tscni" })).toThrow(/etcd.prefix/);
  });
});
