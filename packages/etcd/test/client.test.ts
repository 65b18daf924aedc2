import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CniError, ErrorCode } from "@tscni/types";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EtcdClient } from "../src/index.js";
import { type TestEtcdCluster, startEtcdCluster } from "../src/testkit/index.js";
import { skipReason } from "../../../test/support/prereq.js";

const skip = skipReason({ commands: ["etcd", "openssl"] });

async function rejection(p: Promise<unknown>): Promise<CniError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CniError);
  return e as CniError;
}

/** A port nothing listens on: bound, then closed. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe.skipIf(skip)(`etcd client against a real member${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let cluster: TestEtcdCluster;
  let client: EtcdClient;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
    client = new EtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  test("a create-if-absent transaction succeeds once, then fails its compare", async () => {
    const put = { put: { key: "/t/a", value: "one" } };
    const absent = { key: "/t/a", target: "CREATE" as const, result: "EQUAL" as const, value: 0n };
    expect((await client.txn({ compare: [absent], success: [put] })).succeeded).toBe(true);
    const second = await client.txn({ compare: [absent], success: [put], failure: [{ range: { key: "/t/a" } }] });
    expect(second.succeeded).toBe(false);
    expect(second.responses[0]?.kvs?.[0]?.value).toBe("one");
  });

  test("prefix ranges see exactly the keys under the prefix, in key order, with revisions", async () => {
    await client.txn({ compare: [], success: ["/p/b", "/p/a", "/q/a", "/p0"].map((key) => ({ put: { key, value: key } })) });
    const got = await client.range("/p/", { prefix: true });
    expect(got.kvs.map((kv) => kv.key)).toEqual(["/p/a", "/p/b"]);
    expect(got.kvs[0]!.createRevision).toBeGreaterThan(0n);
    expect(got.revision).toBeGreaterThanOrEqual(got.kvs[0]!.modRevision);
  });

  test("non-ASCII keys and values survive the base64 round trip", async () => {
    await client.txn({ compare: [], success: [{ put: { key: "/u/ä€", value: "ü\u0000x" } }] });
    expect((await client.range("/u/ä€")).kvs[0]?.value).toBe("ü\u0000x");
  });

  test("a dead first endpoint costs one attempt; the next member answers", async () => {
    const failover = new EtcdClient({ endpoints: [await deadEndpoint(), ...cluster.endpoints], timeoutMs: 5_000 });
    try {
      await expect(failover.probeQuorum("/t/a")).resolves.toBeUndefined();
    } finally {
      failover.close();
    }
  });

  test("no endpoint answering: code 11 within the bound, naming the endpoints", async () => {
    const dead = await deadEndpoint();
    const unreachable = new EtcdClient({ endpoints: [dead], timeoutMs: 800 });
    const started = Date.now();
    const e = await rejection(unreachable.range("/x"));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(e.code).toBe(ErrorCode.TryAgainLater);
    expect(e.message).toContain(dead);
    expect(e.details).toContain("ECONNREFUSED");
  });
});

describe("etcd client at the boundary", () => {
  let server: Server;
  let endpoint: string;
  let answer: { status: number; body: string } = { status: 200, body: "{}" };
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test.each([
    ["kvs that is not a list", '{"kvs": 5}'],
    ["a key that is not base64", '{"kvs": [{"key": "%%%"}]}'],
    ["a revision that is not a number", '{"header": {"revision": "abc"}}'],
    ["an answer that is not an object", "[]"],
  ])("a range answer with %s is refused, not trusted", async (_what, body) => {
    answer = { status: 200, body };
    const client = new EtcdClient({ endpoints: [endpoint], timeoutMs: 1_000 });
    const e = await rejection(client.range("/k"));
    expect(e.message).toMatch(/malformed/);
    client.close();
  });

  test("a refusal that another member would repeat (invalid argument) fails at once with the server's message", async () => {
    answer = { status: 400, body: '{"error":"etcdserver: too many operations in txn request","code":3}' };
    const client = new EtcdClient({ endpoints: [endpoint], timeoutMs: 5_000 });
    const started = Date.now();
    const e = await rejection(client.txn({ compare: [], success: [] }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(e.code).toBe(ErrorCode.Internal);
    expect(e.message).toContain("too many operations");
    client.close();
  });

  test("'no leader' is retried until the deadline, then code 11", async () => {
    answer = { status: 503, body: '{"error":"etcdserver: no leader","code":14}' };
    const client = new EtcdClient({ endpoints: [endpoint], timeoutMs: 600 });
    const e = await rejection(client.range("/k"));
    expect(e.code).toBe(ErrorCode.TryAgainLater);
    expect(e.details).toContain("no leader");
    client.close();
  });

  test.each([[[]], [["ftp://127.0.0.1:1"]], [["not a url"]], [["http://127.0.0.1:2379/v3"]]])(
    "endpoints %j are refused with code 7 naming the field",
    (endpoints) => {
      let caught: unknown;
      try {
        new EtcdClient({ endpoints });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CniError);
      expect((caught as CniError).code).toBe(ErrorCode.InvalidNetworkConfig);
      expect((caught as CniError).message).toContain("etcd.endpoints");
    },
  );
});

describe.skipIf(skip)(`etcd client over TLS${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let cluster: TestEtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster({ tls: true });
  });
  afterAll(() => cluster?.stop());

  test("with the CA and a client certificate the member answers", async () => {
    const client = new EtcdClient({ endpoints: cluster.endpoints, tls: cluster.tls! });
    await client.txn({ compare: [], success: [{ put: { key: "/tls/a", value: "1" } }] });
    expect((await client.range("/tls/a")).kvs[0]?.value).toBe("1");
    client.close();
  });

  test("without a client certificate the member refuses: code 11 naming the TLS failure, never a success", async () => {
    const client = new EtcdClient({ endpoints: cluster.endpoints, tls: { ca: cluster.tls!.ca! }, timeoutMs: 1_000 });
    const e = await rejection(client.range("/tls/a"));
    expect(e.code).toBe(ErrorCode.TryAgainLater);
    client.close();
  });

  test("a server certificate from another CA is refused", async () => {
    const client = new EtcdClient({ endpoints: cluster.endpoints, timeoutMs: 1_000 });
    const e = await rejection(client.range("/tls/a"));
    expect(e.details).toMatch(/certificate|SELF_SIGNED|UNABLE/i);
    client.close();
  });
});
