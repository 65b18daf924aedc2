/**
 * The plugin author's journey outside this repository, through a real npm registry (issue 11): every package
 * packed by `npm run pack:all` and published with `npm publish` to a throwaway Verdaccio on 127.0.0.1; then, in a
 * temp dir outside the repo with npm pointed at it, `npm create tscni@latest` for each template, `npm install`,
 * the generated scripts (typecheck, lint, test, build, conformance), and a real ADD/CHECK/DEL/DEL through the
 * published cnitool with Debian's bridge and host-local, in namespaces of the test's own.
 *
 * Needs root (namespaces), Debian's CNI plugins and the registry npm is configured with (Verdaccio proxies zod,
 * vitest, ... from it). On a laptop without that registry it skips with the reason; under CI=true everything
 * missing is a failure, Verdaccio not starting included.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { netns } from "@tscni/netns";
import { createTestNetns } from "@tscni/netns/testkit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { skipReason } from "./support/prereq.js";
import { startVerdaccio, type Verdaccio } from "./support/verdaccio.js";

const root = join(import.meta.dirname, "..");
const CI = process.env.CI === "true";
const GO_PLUGINS = "/usr/lib/cni";
const version = JSON.parse(readFileSync(join(root, "packages", "create-tscni", "package.json"), "utf8")).version as string;

/** The environment of a user's shell: none of npm's or vitest's variables from this run leak into the children. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|vitest|tscni_)|^node_env$/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** The registry npm is configured with here, asked the way a user would (outside the repo, no npm_* variables). */
function configuredRegistry(): string {
  const url = execFileSync("npm", ["config", "get", "registry"], { cwd: tmpdir(), env: userEnv(), encoding: "utf8" }).trim();
  return url.endsWith("/") ? url : `${url}/`;
}

async function registryReason(): Promise<string | undefined> {
  const upstream = configuredRegistry();
  try {
    const r = await fetch(`${upstream}zod`, { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    if (r.ok) return undefined;
    return `the registry npm is configured with (${upstream}) answers ${r.status}`;
  } catch (e) {
    return `no access to the registry npm is configured with (${upstream}): ${(e as Error).message}`;
  }
}

const prerequisites = skipReason({
  netns: true,
  commands: ["nsenter", "ip"],
  executables: [join(GO_PLUGINS, "bridge"), join(GO_PLUGINS, "host-local")],
});
// Under CI a registry that cannot be reached is no reason to skip: the test runs and fails.
const skip = prerequisites ?? (CI ? undefined : await registryReason());

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command to completion (asynchronously: Verdaccio lives in this process's event loop's children). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The output of a run that must succeed; its whole output in the failure message otherwise. */
function ok(what: string, r: Run): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out.slice(-6000)}`);
  return r.out;
}

/** Wall time of each step, printed at the end: the budget of this test is a CI concern, never an assertion. */
const timings: [string, number][] = [];
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await f();
  } finally {
    timings.push([what, (performance.now() - started) / 1000]);
  }
}

const TEMPLATES = [
  { template: "chained", name: "p1" },
  { template: "interface", name: "p2" },
  { template: "ipam", name: "p3" },
] as const;

describe.skipIf(skip)(`npm create tscni through a real registry${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const work = mkdtempSync(join(tmpdir(), "tscni-registry-"));
  const projects = join(work, "projects");
  const tools = join(work, "tools");
  let registry: Verdaccio | undefined;
  let npmEnv: NodeJS.ProcessEnv;
  const started = performance.now();

  beforeAll(async () => {
    const verdaccioBin = join(root, "node_modules", "verdaccio", "bin", "verdaccio");
    registry = await timed("verdaccio start", () => startVerdaccio(join(work, "verdaccio"), configuredRegistry(), verdaccioBin));
    // One npm cache for every install of the test (the second and third template install from it), none of the
    // user's; --yes because npm create asks before it installs create-tscni.
    npmEnv = userEnv({
      npm_config_registry: registry.url,
      npm_config_cache: join(work, "npm-cache"),
      npm_config_yes: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    });

    await timed("pack:all", async () => ok("npm run pack:all", await run("npm", ["run", "pack:all"], root, userEnv())));
    const tarballs = readdirSync(join(root, "dist", "packages")).filter((f) => f.endsWith(".tgz"));
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")));
    expect(tarballs).toHaveLength(packages.length);
    await timed("publish", async () => {
      // Four at a time: each npm publish is mostly npm's own start-up.
      const queue = [...tarballs];
      const worker = async (): Promise<void> => {
        for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
          const args = ["publish", join(root, "dist", "packages", t), "--ignore-scripts", registry!.authFlag];
          ok(`npm publish ${t}`, await run("npm", args, work, npmEnv));
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    });

    mkdirSync(projects);
    await timed("npm create x3", async () => {
      // One after another: concurrent `npm exec` of the same package would install it into the same npx dir.
      for (const { template, name } of TEMPLATES) {
        const out = ok(`npm create (${template})`, await run("npm", ["create", "tscni@latest", name, "--", "--template", template], projects, npmEnv));
        expect(out).toContain(`Created ${name} (${template} template, @tscni/* ${version})`);
      }
    });
    mkdirSync(tools);
    writeFileSync(join(tools, "package.json"), JSON.stringify({ name: "tools", private: true }));
    // The first install fills the shared cache (through Verdaccio, from upstream); the others then take metadata
    // and tarballs from it (--prefer-offline) and run side by side. All four at once, cold, took twice as long.
    const [first, ...rest] = TEMPLATES;
    await timed(`npm install (${first.name}, cold cache)`, async () => ok(`npm install (${first.name})`, await run("npm", ["install"], join(projects, first.name), npmEnv)));
    await timed("npm install x2 + cnitool (warm)", async () => {
      const warm = ["install", "--prefer-offline"];
      await Promise.all([
        ...rest.map(async ({ name }) => ok(`npm install (${name})`, await run("npm", warm, join(projects, name), npmEnv))),
        (async () => ok("npm install @tscni/cnitool", await run("npm", [...warm, `@tscni/cnitool@${version}`], tools, npmEnv)))(),
      ]);
    });
  }, 900_000);

  afterAll(async () => {
    await registry?.stop();
    // Three projects' node_modules: asynchronously, and with time for it on a busy machine.
    await timed("clean up", () => rm(work, { recursive: true, force: true }));
    const lines = timings.map(([what, s]) => `  ${what.padEnd(28)} ${s.toFixed(1).padStart(6)} s`);
    console.log(`registry test wall times (${((performance.now() - started) / 1000).toFixed(0)} s in all):\n${lines.join("\n")}`);
  }, 300_000);

  test("every package came from the registry: published, and installed with the generator's version", async () => {
    const r = await fetch(`${registry!.url}@tscni%2fskel`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { "dist-tags": Record<string, string> };
    expect(doc["dist-tags"].latest).toBe(version);
    for (const { name } of TEMPLATES) {
      const lock = JSON.parse(readFileSync(join(projects, name, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; link?: boolean }> };
      const ours = Object.entries(lock.packages).filter(([path]) => path.startsWith("node_modules/@tscni/"));
      expect(ours.length, name).toBeGreaterThan(3);
      for (const [path, entry] of ours) {
        expect(entry.version, path).toBe(version);
        expect(entry.link, path).toBeUndefined();
      }
    }
  });

  /** nsenter into the throwaway "host" namespace, then the published cnitool, as a runtime on a node would. */
  async function cnitool(dir: string, host: string, verb: string, network: string, netns: string): Promise<Run> {
    const bin = join(tools, "node_modules", "@tscni", "cnitool", "dist", "cli.js");
    const env = userEnv({ NETCONFPATH: join(dir, "net.d"), CNI_PATH: `${join(dir, "dist")}:${GO_PLUGINS}` });
    return run("nsenter", [`--net=${host}`, "--", process.execPath, bin, "--cache-dir", join(dir, "cni-cache"), verb, network, netns], dir, env, 60_000);
  }

  /** The generated scripts, in the order its README gives them; conformance must report 0 failures. */
  async function scripts(name: string): Promise<void> {
    const dir = join(projects, name);
    for (const script of ["typecheck", "lint", "test", "build"]) {
      await timed(`${name} ${script}`, async () => ok(`${name}: npm run ${script}`, await run("npm", ["run", script], dir, npmEnv)));
    }
    expect(existsSync(join(dir, "dist", name))).toBe(true);
    const report = await timed(`${name} conformance`, async () => ok(`${name}: npm run conformance`, await run("npm", ["run", "conformance"], dir, npmEnv)));
    expect(report).toMatch(/\b[1-9]\d* passed, 0 failed\b/);
  }

  /** ADD, CHECK, DEL, DEL of a conflist through cnitool; returns the ADD result for the caller's checks. */
  async function lifecycle(name: string, conflist: object, check: (result: AddResult, container: string) => Promise<void>): Promise<void> {
    const dir = join(projects, name);
    mkdirSync(join(dir, "net.d"));
    writeFileSync(join(dir, "net.d", "10-e2e.conflist"), JSON.stringify(conflist));
    await using host = await createTestNetns("reg-host");
    await using container = await createTestNetns("reg-ctr");
    await timed(`${name} ADD/CHECK/DEL/DEL`, async () => {
      const added = ok(`${name}: cnitool add`, await cnitool(dir, host.path, "add", "e2e", container.path));
      await check(JSON.parse(added) as AddResult, container.path);
      ok(`${name}: cnitool check`, await cnitool(dir, host.path, "check", "e2e", container.path));
      ok(`${name}: cnitool del`, await cnitool(dir, host.path, "del", "e2e", container.path));
      ok(`${name}: cnitool del (again)`, await cnitool(dir, host.path, "del", "e2e", container.path));
    });
    expect(await container.ns.link("eth0")).toBeUndefined();
  }

  interface AddResult {
    interfaces?: { name: string; mtu?: number; sandbox?: string }[];
    ips?: { address: string }[];
  }

  const linkOf = (path: string) => netns(path).link("eth0");

  test("chained: scripts pass; bridge + host-local + p1 through the published cnitool set and keep the MTU", async () => {
    await scripts("p1");
    const ipamDir = join(work, "ipam-p1");
    await lifecycle(
      "p1",
      {
        cniVersion: "1.0.0",
        name: "e2e",
        plugins: [
          { type: "bridge", bridge: "tscni-reg1", ipam: { type: "host-local", subnet: "169.254.61.0/24", dataDir: ipamDir } },
          { type: "p1", mtu: 1400 },
        ],
      },
      async (result, container) => {
        expect(result.interfaces?.find((i) => i.name === "eth0" && i.sandbox === container)?.mtu).toBe(1400);
        expect(result.ips?.[0]?.address).toMatch(/^169\.254\.61\.\d+\/24$/);
        expect((await linkOf(container))?.mtu).toBe(1400);
      },
    );
  }, 600_000);

  test("interface: scripts pass; p2 + host-local through the published cnitool connect the container", async () => {
    await scripts("p2");
    const ipamDir = join(work, "ipam-p2");
    await lifecycle(
      "p2",
      { cniVersion: "1.0.0", name: "e2e", plugins: [{ type: "p2", mtu: 1450, ipam: { type: "host-local", subnet: "169.254.62.0/24", dataDir: ipamDir } }] },
      async (result, container) => {
        const address = result.ips?.[0]?.address;
        expect(address).toMatch(/^169\.254\.62\.\d+\/24$/);
        const eth0 = await linkOf(container);
        expect(eth0?.mtu).toBe(1450);
        expect(eth0?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toContain(address);
        expect(readdirSync(join(ipamDir, "e2e"))).toContain(address!.split("/")[0]);
      },
    );
    expect(readdirSync(join(ipamDir, "e2e")).filter((f) => f.startsWith("169.254."))).toEqual([]);
  }, 600_000);

  test("ipam: scripts pass; bridge with p3 as its IPAM through the published cnitool addresses the container", async () => {
    await scripts("p3");
    const dataDir = join(work, "ipam-p3");
    await lifecycle(
      "p3",
      { cniVersion: "1.0.0", name: "e2e", plugins: [{ type: "bridge", bridge: "tscni-reg3", ipam: { type: "p3", subnet: "169.254.63.0/24", dataDir } }] },
      async (result, container) => {
        const address = result.ips?.[0]?.address;
        expect(address).toMatch(/^169\.254\.63\.\d+\/24$/);
        expect((await linkOf(container))?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toContain(address);
        expect(readdirSync(join(dataDir, "e2e"))).toContain(address!.split("/")[0]);
      },
    );
    expect(readdirSync(join(dataDir, "e2e")).filter((f) => f.startsWith("169.254."))).toEqual([]);
  }, 600_000);
});
