/**
 * A throwaway Verdaccio (the devDependency, 6.8.0: later versions need Node 22) on 127.0.0.1 for
 * test/registry.test.ts: its own config and storage under a temp dir, our packages (@tscni/*, create-tscni)
 * served only from what the test publishes, everything else proxied to the registry npm is configured with
 * here (passed in, read at run time: no registry host is written into the repository).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Verdaccio {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** `--//127.0.0.1:PORT/:_authToken=...`: npm publish refuses to run without a token; any token is accepted. */
  authFlag: string;
  log(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel's pick); Verdaccio cannot report the one it got for :0. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port from listen(0)");
  return address.port;
}

function config(dir: string, upstream: string): string {
  // YAML, written out by hand: JSON strings are valid YAML scalars, so every path and URL is quoted safely.
  const q = JSON.stringify;
  return `storage: ${q(join(dir, "storage"))}
auth:
  htpasswd:
    file: ${q(join(dir, "htpasswd"))}
    max_users: -1
uplinks:
  upstream:
    url: ${q(upstream)}
    timeout: 60s
    # The tarballs land in the npm cache of the test; keeping a second copy here would only cost disk writes.
    cache: false
packages:
  "@tscni/*":
    access: $all
    publish: $all
  "create-tscni":
    access: $all
    publish: $all
  "**":
    access: $all
    proxy: upstream
web:
  enable: false
log: { type: stdout, format: json, level: warn }
`;
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2_000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** Starts Verdaccio and waits until it answers; throws with its log when it exits or does not answer in time. */
export async function startVerdaccio(dir: string, upstream: string, verdaccioBin: string): Promise<Verdaccio> {
  mkdirSync(join(dir, "storage"), { recursive: true });
  const configFile = join(dir, "config.yaml");
  writeFileSync(configFile, config(dir, upstream));
  const logFile = join(dir, "verdaccio.log");
  const log = (): string => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const out = openSync(logFile, "a");
    // --use-openssl-ca: Verdaccio's requests upstream trust the system's CA store, as curl and npm's users do. CI
    // unsets NODE_EXTRA_CA_CERTS for start-up speed, and Node's bundled roots alone fail behind a TLS-inspecting
    // proxy (SELF_SIGNED_CERT_IN_CHAIN, which Verdaccio reports as a 404 for every proxied package).
    const child: ChildProcess = spawn(process.execPath, ["--use-openssl-ca", verdaccioBin, "--config", configFile, "--listen", `127.0.0.1:${port}`], {
      stdio: ["ignore", out, out],
    });
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
    const deadline = Date.now() + 60_000;
    while (!exited && Date.now() < deadline && !(await answersPing(url))) await sleep(200);
    const stop = async (): Promise<void> => {
      if (exited) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(killer);
    };
    if (!exited && (await answersPing(url))) {
      return { url, authFlag: `--//127.0.0.1:${port}/:_authToken=tscni-registry-test`, log, stop };
    }
    await stop();
    // The port can be taken between freePort() and Verdaccio's listen: one more try, then give up.
    if (attempt >= 2 || !/EADDRINUSE/.test(log())) {
      throw new Error(`Verdaccio did not start on ${url} (${exited ? `exited ${child.exitCode}` : "no answer in 60 s"}):\n${log().slice(-3000)}`);
    }
  }
}
