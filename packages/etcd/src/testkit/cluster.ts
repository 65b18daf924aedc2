/**
 * Real etcd members for tests: `etcd` from the machine (Debian's etcd-server),
 * on 127.0.0.1 only, each with its own free ports and a temporary data
 * directory. A cluster is stopped and its directories removed by `stop()`,
 * and by an exit hook if a test run dies first, so nothing is left behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdClient, type EtcdTls } from "../client.js";

export interface TestEtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly running: boolean;
  /** SIGKILL, as a crash or a power cut would. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data (rejoins the cluster). */
  restart(): Promise<void>;
}

export interface TestEtcdCluster extends AsyncDisposable {
  readonly members: readonly TestEtcdMember[];
  readonly endpoints: string[];
  /** The TLS material a client needs (TLS clusters only). */
  readonly tls: EtcdTls | undefined;
  /** Paths of the PEM files behind `tls`, for plugin configs. */
  readonly tlsFiles: { ca: string; cert: string; key: string } | undefined;
  /** Waits until a linearizable read succeeds through any member. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  /** How many members; default 1. */
  members?: number;
  /** Serve clients over TLS only, with a throwaway CA (needs `openssl`), and require client certificates. */
  tls?: boolean;
  /** The etcd binary; default `etcd` on PATH. */
  etcdPath?: string;
  /**
   * Run the members inside this network namespace (a name under /run/netns),
   * listening on `host`: for tests whose plugins run in a namespace of their own.
   */
  netns?: string;
  /** The address members listen on; default 127.0.0.1. */
  host?: string;
}

const live = new Set<() => void>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on("exit", () => {
    for (const stop of live) stop();
  });
}

/** A port the kernel just handed out on 127.0.0.1; etcd binds it right after. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl into `dir`. */
export function makeTestCertificates(dir: string): { ca: string; cert: string; key: string; serverCert: string; serverKey: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=tscni-test-ca", "-keyout", "ca-key.pem", "-out", "ca.pem"]);
  const leaf = (name: string, ext: string) => {
    run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`]);
    execFileSync("sh", ["-c", `printf '%s\\n' "$1" > "$2.ext"`, "sh", ext, name], { cwd: dir });
    run(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`]);
  };
  leaf("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth");
  leaf("client", "extendedKeyUsage=clientAuth");
  return {
    ca: join(dir, "ca.pem"),
    cert: join(dir, "client.pem"),
    key: join(dir, "client-key.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server-key.pem"),
  };
}

export async function startEtcdCluster(options: StartEtcdOptions = {}): Promise<TestEtcdCluster> {
  installExitHook();
  const count = options.members ?? 1;
  const root = mkdtempSync(join(tmpdir(), "tscni-etcd-"));
  const scheme = options.tls ? "https" : "http";
  const certs = options.tls ? makeTestCertificates(root) : undefined;
  const token = `tscni-${process.pid}-${Date.now()}`;
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < count; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const names = ports.map((_, i) => `m${i}`);
  const host = options.host ?? "127.0.0.1";
  const initialCluster = names.map((n, i) => `${n}=http://${host}:${ports[i]!.peer}`).join(",");

  const members = names.map((name, i) => {
    const clientUrl = `${scheme}://${host}:${ports[i]!.client}`;
    const args = [
      "--name", name,
      "--data-dir", join(root, name),
      "--listen-client-urls", clientUrl,
      "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", `http://${host}:${ports[i]!.peer}`,
      "--initial-advertise-peer-urls", `http://${host}:${ports[i]!.peer}`,
      "--initial-cluster", initialCluster,
      "--initial-cluster-token", token,
      "--initial-cluster-state", "new",
      "--heartbeat-interval", "50",
      "--election-timeout", "500",
      "--logger", "zap",
      "--log-outputs", join(root, `${name}.log`),
      ...(certs ? ["--cert-file", certs.serverCert, "--key-file", certs.serverKey, "--trusted-ca-file", certs.ca, "--client-cert-auth"] : []),
    ];
    let child: ChildProcess | undefined;
    const start = () => {
      const etcd = options.etcdPath ?? "etcd";
      // `ip netns exec` execs etcd in place, so the child's pid is etcd's and a kill reaches it.
      child = options.netns ? spawn("ip", ["netns", "exec", options.netns, etcd, ...args], { stdio: "ignore" }) : spawn(etcd, args, { stdio: "ignore" });
      child.on("error", () => {});
    };
    const exited = () =>
      new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
      });
    start();
    const member: TestEtcdMember = {
      name,
      clientUrl,
      get running() {
        return !!child && child.exitCode === null && child.signalCode === null;
      },
      async kill() {
        child?.kill("SIGKILL");
        await exited();
      },
      async restart() {
        await member.kill();
        start();
      },
    };
    return { member, killNow: () => child?.kill("SIGKILL"), exited };
  });

  const killAll = () => {
    for (const m of members) m.killNow();
    rmSync(root, { recursive: true, force: true });
  };
  live.add(killAll);
  const tls: EtcdTls | undefined = certs
    ? { ca: readFileSync(certs.ca), cert: readFileSync(certs.cert), key: readFileSync(certs.key) }
    : undefined;
  const endpoints = members.map((m) => m.member.clientUrl);
  const cluster: TestEtcdCluster = {
    members: members.map((m) => m.member),
    endpoints,
    tls,
    tlsFiles: certs ? { ca: certs.ca, cert: certs.cert, key: certs.key } : undefined,
    async waitReady(timeoutMs = 20_000) {
      if (options.netns) return waitReadyInNetns(options.netns, endpoints, timeoutMs);
      const client = new EtcdClient({ endpoints, ...(tls && { tls }), timeoutMs, attemptTimeoutMs: 1_000 });
      try {
        await client.probeQuorum("/tscni-test-ready");
      } finally {
        client.close();
      }
    },
    async stop() {
      if (!live.delete(killAll)) return;
      for (const m of members) m.killNow();
      await Promise.all(members.map((m) => m.exited()));
      rmSync(root, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => cluster.stop(),
  };
  try {
    await cluster.waitReady();
  } catch (e) {
    await cluster.stop();
    throw new Error(`etcd cluster of ${count} did not become ready: ${(e as Error).message}`);
  }
  return cluster;
}

/** From outside a namespace the client cannot reach its members; etcdctl inside it can. */
async function waitReadyInNetns(netns: string, endpoints: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      execFileSync("ip", ["netns", "exec", netns, "etcdctl", "--endpoints", endpoints.join(","), "--command-timeout=1s", "endpoint", "health"], {
        stdio: "pipe",
        env: { ...process.env, ETCDCTL_API: "3" },
      });
      return;
    } catch (e) {
      last = String((e as { stderr?: Buffer }).stderr ?? e);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`not healthy within ${timeoutMs} ms: ${last.trim()}`);
}
