/**
 * The daemon and the shim as processes: answers equal to an exec of the same
 * bundle, the unavailable-daemon rules, faults, limits, and concurrency.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installShims } from "@tscni/daemon";
import { skipReason } from "../../../test/support/prereq.js";
import { bundle, DIST_BIN, runExe, SHIM, startDaemon } from "./helpers.js";
import type { RunningDaemon } from "./helpers.js";

const skip = skipReason({ root: true, commands: ["setpriv", "systemd-socket-activate"], executables: [SHIM, join(DIST_BIN, "host-local")] });

describe.skipIf(skip)(`tscni daemon and shim${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let daemonJs: string;
  let faultyJs: string;
  let bin: string;
  let socket: string;
  let daemon: RunningDaemon | undefined;
  const plugins = ["host-local", "faulty"];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tscni-daemon-"));
    daemonJs = await bundle(join(import.meta.dirname, "fixtures/daemon-entry.ts"), join(dir, "daemon.cjs"));
    faultyJs = await bundle(join(import.meta.dirname, "fixtures/faulty.ts"), join(dir, "faulty.cjs"));
    bin = join(dir, "bin");
    mkdirSync(bin);
    socket = join(dir, "run", "daemon.sock");
    await installShims({ binDir: bin, socketPath: socket, plugins, versions: { faulty: ["1.0.0", "1.1.0"] }, shimPath: SHIM });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await daemon?.stop("SIGKILL");
    daemon = undefined;
  });

  const start = async (extra: string[] = []) => {
    daemon = await startDaemon(daemonJs, ["--socket", socket, "--plugin", `host-local=${join(DIST_BIN, "host-local")}`, "--plugin", `faulty=${faultyJs}`, ...extra]);
    return daemon;
  };
  const env = (command: string, more: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: "ctr-1",
    CNI_NETNS: "/run/netns/absent",
    CNI_IFNAME: "eth0",
    CNI_PATH: bin,
    ...more,
  });
  const hostLocal = (dataDir: string, cniVersion = "1.1.0") =>
    JSON.stringify({ cniVersion, name: "dnet", type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.40.0/24" }]], dataDir } });

  it("answers exactly as an exec of the same bundle: VERSION, ADD, CHECK, DEL, errors", async () => {
    await start();
    const cases: [string, Record<string, string>, (d: string) => string][] = [
      ["VERSION", {}, () => ""],
      ["VERSION", {}, () => '{"cniVersion":"0.4.0"}'],
      ["VERSION", {}, () => '{"cniVersion":"9.9.9"}'],
      ["VERSION", {}, () => "not json"],
      ["ADD", {}, (d) => hostLocal(d)],
      ["ADD", { CNI_CONTAINERID: "ctr-2" }, (d) => hostLocal(d, "0.3.1")],
      ["CHECK", {}, (d) => hostLocal(d)],
      ["DEL", {}, (d) => hostLocal(d)],
      ["DEL", {}, (d) => hostLocal(d)],
      ["ADD", {}, () => "{ broken"],
      ["ADD", {}, (d) => hostLocal(d, "7.0.0")],
      ["ADD", { CNI_IFNAME: "" }, (d) => hostLocal(d)],
      ["FROB", {}, (d) => hostLocal(d)],
    ];
    const viaExec = join(dir, "ipam-exec");
    const viaShim = join(dir, "ipam-shim");
    for (const [verb, more, stdin] of cases) {
      const a = runExe(join(DIST_BIN, "host-local"), env(verb, more), stdin(viaExec).replaceAll(viaExec, viaShim));
      const b = runExe(join(bin, "host-local"), env(verb, more), stdin(viaShim));
      expect({ verb, status: b.status, stdout: b.stdout }).toEqual({ verb, status: a.status, stdout: a.stdout });
    }
  });

  it("without a daemon: VERSION still answers; ADD, CHECK, GC and DEL fail with 11 naming the socket; STATUS with 50", () => {
    const data = join(dir, "ipam-down");
    const version = runExe(join(bin, "faulty"), env("VERSION"), '{"cniVersion":"1.0.0"}');
    expect(version.stdout).toBe('{"cniVersion":"1.0.0","supportedVersions":["1.0.0","1.1.0"]}\n');
    for (const verb of ["ADD", "CHECK", "GC", "DEL"]) {
      const r = runExe(join(bin, "host-local"), env(verb), hostLocal(data));
      expect(r.status).toBe(1);
      expect(r.json).toMatchObject({ cniVersion: "1.1.0", code: 11 });
      expect(r.json!.msg).toContain(socket);
    }
    const status = runExe(join(bin, "host-local"), env("STATUS"), hostLocal(data));
    expect(status.json).toMatchObject({ code: 50 });
  });

  it("a DEL while the daemon is down is spooled durably, answered 0, and replayed when the daemon starts", async () => {
    const spool = join(dir, "spool");
    mkdirSync(spool, { mode: 0o700, recursive: true });
    const data = join(dir, "ipam-spool");
    await start(["--del-spool", spool]);
    const add = runExe(join(bin, "host-local"), env("ADD", { CNI_CONTAINERID: "spool-1" }), hostLocal(data));
    expect(add.status, add.stdout).toBe(0);
    await daemon!.stop("SIGKILL");
    const del = runExe(join(bin, "host-local"), env("DEL", { CNI_CONTAINERID: "spool-1", TSCNI_DEL_SPOOL: spool }), hostLocal(data));
    expect([del.status, del.stdout]).toEqual([0, ""]);
    expect(readdirSync(spool).filter((n) => n.endsWith(".del"))).toHaveLength(1);
    expect(readdirSync(join(data, "dnet"))).toContain("169.254.40.2");
    await start(["--del-spool", spool]);
    const deadline = Date.now() + 10_000;
    while (readdirSync(spool).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(spool)).toEqual([]);
    expect(readdirSync(join(data, "dnet"))).not.toContain("169.254.40.2");
    expect(daemon!.log()).toContain("replayed spooled DEL");
  });

  it("a spooled DEL that an ADD of the same container ID and ifname overtook is dropped, not replayed", async () => {
    const spool = join(dir, "spool-drop");
    mkdirSync(spool, { mode: 0o700, recursive: true });
    const data = join(dir, "ipam-drop");
    await start(["--del-spool", spool]);
    // A DEL the shim spooled (its format), stamped before the ADD below reaches the daemon.
    const stamp = `${BigInt(Date.now() - 1000) * 1_000_000n}`;
    const envBlock = Buffer.from(Object.entries(env("DEL", { CNI_CONTAINERID: "drop-1" })).map(([k, v]) => `${k}=${v}\0`).join(""));
    const entry = Buffer.concat([Buffer.from(`tscni-del-v1 host-local ${envBlock.length}\n`), envBlock, Buffer.from(hostLocal(data))]);
    const add = runExe(join(bin, "host-local"), env("ADD", { CNI_CONTAINERID: "drop-1" }), hostLocal(data));
    expect(add.status, add.stdout).toBe(0);
    // Temp name, then rename, as the shim does: the daemon's rescan never sees a half-written entry.
    writeFileSync(join(spool, ".tmp-drop"), entry);
    renameSync(join(spool, ".tmp-drop"), join(spool, `${stamp}-1.del`));
    const deadline = Date.now() + 10_000;
    while (readdirSync(spool).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(spool)).toEqual([]);
    expect(daemon!.log()).toContain("dropped spooled DEL");
    // The address the ADD took is still held.
    expect(readdirSync(join(data, "dnet"))).toContain("169.254.40.2");
  });

  it("a daemon that accepts and never answers: the shim returns 11 within the request bound", async () => {
    const hungSocket = join(dir, "hung", "s.sock");
    mkdirSync(join(dir, "hung"), { mode: 0o700 });
    const server: Server = createServer(() => {});
    await new Promise<void>((r) => server.listen(hungSocket, r));
    try {
      const started = Date.now();
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          new Promise<{ status: number | null; out: string }>((resolve) => {
            const p = spawn(join(bin, "host-local"), [], { env: env("ADD", { CNI_CONTAINERID: `hung-${i}`, TSCNI_SOCKET: hungSocket, TSCNI_REQUEST_TIMEOUT_MS: "1000" }) });
            let out = "";
            p.stdout.on("data", (c: Buffer) => (out += c.toString()));
            p.stdin.end(hostLocal(join(dir, "ipam-hung")));
            p.on("close", (status) => resolve({ status, out }));
          }),
        ),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      for (const r of runs) {
        expect(r.status).toBe(1);
        expect(JSON.parse(r.out)).toMatchObject({ code: 11 });
        expect(JSON.parse(r.out).msg).toContain(hungSocket);
      }
    } finally {
      server.close();
    }
  });

  it("a handler that crashes or never settles fails its own request only (999); the daemon keeps serving", async () => {
    await start(["--timeout-ms", "1500"]);
    const conf = JSON.stringify({ cniVersion: "1.1.0", name: "f", type: "faulty" });
    const run = (cid: string, mode: string) =>
      new Promise<{ status: number | null; out: string }>((resolve) => {
        const p = spawn(join(bin, "faulty"), [], { env: env("ADD", { CNI_CONTAINERID: cid, CNI_ARGS: `mode=${mode}` }) });
        let out = "";
        p.stdout.on("data", (c: Buffer) => (out += c.toString()));
        p.stdin.end(conf);
        p.on("close", (status) => resolve({ status, out }));
      });
    const [crash, hang, ok, sameKeyAfterHang, dropped] = await Promise.all([run("c1", "crash"), run("c2", "hang"), run("c3", "ok"), run("c2", "ok"), run("c4", "dropped")]);
    expect(JSON.parse(crash.out)).toMatchObject({ code: 999, msg: expect.stringContaining("boom in a timer") });
    // A missing await whose SDK work failed before the handler returned: that request's error, never a success.
    expect(dropped.status).toBe(1);
    expect(JSON.parse(dropped.out)).toMatchObject({ code: 999, msg: expect.stringContaining("nosuchdev0") });
    expect(JSON.parse(hang.out)).toMatchObject({ code: 999, msg: expect.stringContaining("did not finish within 1500 ms") });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.out).ips).toEqual([{ address: "169.254.9.9/24" }]);
    // Queued behind the hung request of the same attachment, and served once it was answered.
    expect(sameKeyAfterHang.status).toBe(0);
    expect(daemon!.proc.exitCode).toBe(null);
  });

  it("concurrent requests keep their own environment: 30 at once, each answered from its own container ID", async () => {
    await start();
    const conf = JSON.stringify({ cniVersion: "1.1.0", name: "f", type: "faulty" });
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        new Promise<string>((resolve) => {
          const p = spawn(join(bin, "faulty"), [], { env: env("ADD", { CNI_CONTAINERID: `e-${n + 1}`, CNI_ARGS: "mode=echo" }) });
          let out = "";
          p.stdout.on("data", (c: Buffer) => (out += c.toString()));
          p.stdin.end(conf);
          p.on("close", () => resolve(out));
        }),
      ),
    );
    expect(runs.map((out) => (JSON.parse(out) as { ips: { address: string }[] }).ips[0]!.address)).toEqual(Array.from({ length: 30 }, (_, n) => `169.254.10.${n + 1}/24`));
  });

  it("the conformance checker gives the host-local shim the same verdict, check by check, as the exec'd bundle", async () => {
    await start();
    const conformance = (plugin: string, data: string) => {
      const config = join(dir, `conformance-${data}.json`);
      writeFileSync(config, JSON.stringify({ cniVersion: "1.1.0", name: "conf", type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.77.0/24" }]], dataDir: join(dir, data) } }));
      const r = spawnSync(join(DIST_BIN, "cni-conformance"), [plugin, "--ipam", "--config", config, "--json"], { encoding: "utf8", timeout: 110_000 });
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { checks: { id: string; status: string }[] }).checks.map((c) => `${c.id} ${c.status}`);
    };
    const viaShim = conformance(join(bin, "host-local"), "conf-shim");
    const viaExec = conformance(join(DIST_BIN, "host-local"), "conf-exec");
    expect(viaShim.length).toBeGreaterThan(50);
    expect(viaShim).toEqual(viaExec);
    expect(viaShim.filter((c) => c.endsWith(" fail"))).toEqual([]);
  }, 240_000);

  it("a peer with another uid is refused: by the 0700 directory, and by SO_PEERCRED where the path is reachable; root is served", async () => {
    await start();
    expect(statSync(join(dir, "run")).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    // The shim and a second path to the socket where nobody can reach them.
    const other = mkdtempSync(join(tmpdir(), "tscni-nobody-"));
    try {
      chmodSync(other, 0o755);
      await installShims({ binDir: other, socketPath: socket, plugins: ["host-local"], versions: { "host-local": ["1.1.0"] }, shimPath: SHIM });
      const viaDir = runExe(join(other, "host-local"), env("ADD"), hostLocal(join(dir, "ipam-nobody")), { uid: 65534 });
      expect(viaDir.json).toMatchObject({ code: 11 });
      expect(viaDir.json!.details).toContain("Permission denied");

      const open = join(other, "open.sock");
      linkSync(socket, open);
      chmodSync(open, 0o666);
      const viaLink = runExe(join(other, "host-local"), env("ADD", { TSCNI_SOCKET: open }), hostLocal(join(dir, "ipam-nobody")), { uid: 65534 });
      expect(viaLink.status).toBe(1);
      expect(viaLink.json).toMatchObject({ code: 4, msg: expect.stringContaining("refuses callers with uid 65534") });
      // The log line travels through the helper's stderr pipe: give it a moment.
      for (let i = 0; i < 50 && !/refused a connection/.test(daemon!.log()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(daemon!.log()).toMatch(/refused a connection from pid \d+ uid 65534/);
      // Refused callers that hung up before the refusal is written (the accept helper is stopped meanwhile, so
      // they are gone when it gets to them): it survives them; it once died of SIGPIPE, and the daemon with it.
      const helper = acceptHelperPid(daemon!);
      process.kill(helper, "SIGSTOP");
      try {
        const hangUp = `const net = require("node:net"); for (let i = 0; i < 3; i++) net.connect(${JSON.stringify(open)}).on("error", () => {}).destroy();`;
        const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", hangUp], { encoding: "utf8" });
        expect([r.status, r.stderr]).toEqual([0, ""]);
      } finally {
        process.kill(helper, "SIGCONT");
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(daemon!.log()).not.toMatch(/accept helper .* exited/);
      expect(runExe(join(other, "host-local"), env("ADD", { CNI_CONTAINERID: "root-0", TSCNI_SOCKET: open }), hostLocal(join(dir, "ipam-root"))).status).toBe(0);
      expect(runExe(join(bin, "host-local"), env("ADD", { CNI_CONTAINERID: "root-1" }), hostLocal(join(dir, "ipam-root"))).status).toBe(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("a request whose caller exited before the accept helper got to it is dropped, not run (its namespace is unknowable)", async () => {
    await start();
    const data = join(dir, "ipam-gone");
    const envBlock = Buffer.from(Object.entries(env("ADD", { CNI_CONTAINERID: "gone-1" })).map(([k, v]) => `${k}=${v}\0`).join(""));
    const body = Buffer.concat([envBlock, Buffer.from(hostLocal(data))]);
    const head = `POST /v1/exec/host-local HTTP/1.1\r\nHost: tscni\r\nX-Tscni-Env-Bytes: ${envBlock.length}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const request = Buffer.concat([Buffer.from(head), body]).toString("base64");
    // Sends the whole request and exits without waiting for the answer, as a shim killed by its runtime would.
    const client = `const s = require("node:net").connect(${JSON.stringify(socket)}, () => s.write(Buffer.from(${JSON.stringify(request)}, "base64"), () => process.exit(0)));`;
    const helper = acceptHelperPid(daemon!);
    process.kill(helper, "SIGSTOP");
    try {
      const r = spawnSync(process.execPath, ["-e", client], { encoding: "utf8", timeout: 10_000 });
      expect([r.status, r.stderr]).toEqual([0, ""]);
    } finally {
      process.kill(helper, "SIGCONT");
    }
    for (let i = 0; i < 50 && !/dropped a connection/.test(daemon!.log()); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(data)).toBe(false);
    expect(daemon!.log()).toMatch(/dropped a connection from pid \d+, which exited before it was accepted/);
    // A caller that waits is served as ever.
    expect(runExe(join(bin, "host-local"), env("ADD", { CNI_CONTAINERID: "gone-2" }), hostLocal(data)).status).toBe(0);
  });

  it("SIGTERM stops accepting, lets requests in flight finish, removes the socket", async () => {
    await start(["--timeout-ms", "20000"]);
    const conf = JSON.stringify({ cniVersion: "1.1.0", name: "f", type: "faulty" });
    const slow = new Promise<{ status: number | null; out: string }>((resolve) => {
      const p = spawn(join(bin, "faulty"), [], { env: env("ADD", { CNI_CONTAINERID: "drain-1", CNI_ARGS: "mode=slow" }) });
      let out = "";
      p.stdout.on("data", (c: Buffer) => (out += c.toString()));
      p.stdin.end(conf);
      p.on("close", (status) => resolve({ status, out }));
    });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = daemon!.stop("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    const late = runExe(join(bin, "faulty"), env("ADD", { CNI_CONTAINERID: "drain-2" }), conf);
    expect(late.json).toMatchObject({ code: 11 });
    const r = await slow;
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out).ips).toEqual([{ address: "169.254.9.9/24" }]);
    expect(await stopped).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it("started by socket activation (systemd's LISTEN_FDS): serves the inherited socket, the first request waits in its backlog", async () => {
    const activated = join(dir, "activated");
    mkdirSync(activated, { mode: 0o700 });
    const sock = join(activated, "d.sock");
    const env2 = { ...process.env };
    delete env2.NODE_EXTRA_CA_CERTS;
    const proc = spawn(
      "systemd-socket-activate",
      ["-l", sock, process.execPath, daemonJs, "--shim", SHIM, "--socket", sock, "--plugin", `host-local=${join(DIST_BIN, "host-local")}`],
      { stdio: ["ignore", "ignore", "pipe"], env: env2 },
    );
    let log = "";
    proc.stderr.on("data", (c: Buffer) => (log += c.toString()));
    try {
      for (let i = 0; i < 250 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      // The daemon is only started by this connection: the request waits in the socket's backlog.
      const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const p = spawn(join(bin, "host-local"), [], { env: env("ADD", { CNI_CONTAINERID: "activated-1", TSCNI_SOCKET: sock, TSCNI_CONNECT_TIMEOUT_MS: "10000" }) });
        let out = "";
        p.stdout.on("data", (c: Buffer) => (out += c.toString()));
        p.stdin.end(hostLocal(join(dir, "ipam-activated")));
        p.on("close", (status) => resolve({ status, out }));
      });
      expect(r.status, r.out + log).toBe(0);
      expect(JSON.parse(r.out).ips[0].address).toBe("169.254.40.2/24");
      expect(log).toContain(`listening on ${sock}`);
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
  });

  it("an oversized request is refused with an error object and the daemon keeps serving", async () => {
    await start();
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(socket);
      let text = "";
      s.on("data", (c: Buffer) => (text += c.toString()));
      s.on("error", reject);
      s.on("close", () => resolve(text));
      s.write(`POST /v1/exec/host-local HTTP/1.1\r\nHost: x\r\nX-Tscni-Env-Bytes: 0\r\nContent-Length: ${17 * 1024 * 1024}\r\n\r\n`);
      s.write(Buffer.alloc(64 * 1024, 32));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.toLowerCase()).toContain("x-tscni-exit: 1");
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ code: 5, msg: expect.stringContaining("exceeds") });
    const big = runExe(join(bin, "host-local"), env("ADD"), " ".repeat(17 * 1024 * 1024));
    expect(big.json).toMatchObject({ code: 5 });
    expect(runExe(join(bin, "host-local"), env("ADD", { CNI_CONTAINERID: "after-big" }), hostLocal(join(dir, "ipam-big"))).status).toBe(0);
  });

  /** 16 shells, each running the host-local shim 8 times in a row, config i taken from `confs[i % confs.length]`. */
  const sixteenByEight = async (confs: string[]) => {
    const files = confs.map((c, i) => {
      const file = join(dir, `many-${i}.json`);
      // Written once, before any worker starts: a rewrite would truncate it under a running worker.
      writeFileSync(file, c);
      return file;
    });
    const worker = (w: number) =>
      new Promise<{ conf: number; address: string }[]>((resolve) => {
        const script = `for i in 1 2 3 4 5 6 7 8; do eval "f=\\$$(( i % $# + 1 ))"; CNI_CONTAINERID=w${w}-$i "$0" <"$f"; echo; done`;
        const p = spawn("sh", ["-c", script, join(bin, "host-local"), ...files], { env: env("ADD") });
        let out = "";
        p.stdout.on("data", (c: Buffer) => (out += c.toString()));
        p.on("close", () =>
          resolve(
            out
              .split(/\n(?=\{)/)
              .filter((s) => s.trim())
              .map((s, k) => ({ conf: (k + 1) % files.length, address: (JSON.parse(s) as { ips?: { address: string }[] }).ips?.[0]?.address ?? s })),
          ),
        );
      });
    return (await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)))).flat();
  };
  const manyConf = (name: string, data: string) =>
    JSON.stringify({ cniVersion: "1.1.0", name, type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.64.0/22" }]], dataDir: data } });

  it("16 processes x 8 ADDs through the host-local shim get 128 distinct addresses", async () => {
    await start();
    const data = join(dir, "ipam-many");
    const all = (await sixteenByEight([manyConf("many", data)])).map((r) => r.address);
    expect(all.filter((a) => !/^169\.254\.\d+\.\d+\/22$/.test(a))).toEqual([]);
    expect(all).toHaveLength(128);
    expect(new Set(all).size).toBe(128);
    expect(readdirSync(join(data, "many")).filter((n) => n.startsWith("169.")).sort()).toEqual(all.map((a) => a.split("/")[0]).sort());
  }, 120_000);

  it("the same with two networks sharing a subnet: each network's 64 addresses distinct and on disk", async () => {
    await start();
    const data = join(dir, "ipam-shared");
    const runs = await sixteenByEight([manyConf("shared-a", data), manyConf("shared-b", data)]);
    expect(runs.filter((r) => !/^169\.254\.\d+\.\d+\/22$/.test(r.address))).toEqual([]);
    for (const [conf, net] of ["shared-a", "shared-b"].entries()) {
      const mine = runs.filter((r) => r.conf === conf).map((r) => r.address);
      expect(mine).toHaveLength(64);
      expect(new Set(mine).size).toBe(64);
      expect(readdirSync(join(data, net)).filter((n) => n.startsWith("169.")).sort()).toEqual(mine.map((a) => a.split("/")[0]).sort());
    }
  }, 120_000);
});

/** The daemon's accept helper (its `tscni-shim --accept` child), to stop and continue it. */
function acceptHelperPid(daemon: RunningDaemon): number {
  const pid = daemon.proc.pid!;
  const helper = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .split(" ")
    .filter(Boolean)
    .map(Number)
    .find((child) => readFileSync(`/proc/${child}/cmdline`, "utf8").includes("--accept"));
  if (helper === undefined) throw new Error(`no accept helper among the children of daemon ${pid}`);
  return helper;
}
