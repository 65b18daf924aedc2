/**
 * The CNI protocol under random input, for every example plugin built into
 * dist/bin and for a plugin that makes the handler mistakes of issue 9 on
 * purpose: random environments (verbs, junk, missing variables) and stdin (the
 * plugin's valid config mutated, random JSON, random bytes), each exec'ed with
 * `env -i` inside a throwaway "host" namespace. Every answer is exit 0 with
 * nothing or one valid document, or exit 1 with one error object; never a
 * stack trace, another status or a hang. host-local also gets entries planted
 * in its data directory; for every plugin nothing outside its own temporary
 * directories changes.
 *
 * TSCNI_FUZZ_RUNS=<n> sets the runs per plugin (default 40); TSCNI_FUZZ_SHOW=<code>
 * prints every run answering that status or error code (e.g. 999), with its input.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExecutable } from "@tscni/bundle";
import { createTestNetns, removeAllTestNetns, requireNetns } from "@tscni/netns/testkit";
import { SPEC_VERSIONS, parseResult } from "@tscni/types";
import { PLANT_KINDS, expectVictimsUntouched, makeVictims, plant } from "../examples/host-local/test/support.js";
import type { PlantKind, Victims } from "../examples/host-local/test/support.js";

const skip = requireNetns();
const BIN = join(import.meta.dirname, "../dist/bin");
const RUNS = Number(process.env.TSCNI_FUZZ_RUNS ?? 40);
/** A plugin still running after this is a hang: a violation, not a slow test. */
const EXEC_TIMEOUT_MS = 15_000;
const nodeDir = dirname(process.execPath);
const needsPath = !["/bin", "/usr/bin"].includes(nodeDir);
const work = mkdtempSync(join(tmpdir(), "tscni-protocol-fuzz-"));
const mistakesBinary = join(work, "handler-mistakes");

interface Exec {
  status: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** `nsenter --net=<host> -- env -i VARS <binary>`: the plugin sees only `vars` (and PATH to find node when it is elsewhere). */
function exec(hostNetns: string, binary: string, vars: Record<string, string>, stdin: Buffer): Promise<Exec> {
  const assignments = Object.entries({ ...(needsPath && { PATH: nodeDir }), ...vars }).map(([k, v]) => `${k}=${v}`);
  const child = spawn("nsenter", [`--net=${hostNetns}`, "--", "env", "-i", ...assignments, binary], { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, EXEC_TIMEOUT_MS);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdin.on("error", () => {});
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut, stdout, stderr });
    });
  });
}

/** The directories of one plugin's property: its data dirs and the victims around them. */
interface Place {
  root: string;
  /** host-local's (also bridge's and ptp's delegated host-local's) data directory. */
  dataDir: string;
  /** tuning's backup directory. */
  tuningDir: string;
  victims: Victims;
}

function place(tag: string): Place {
  const root = mkdtempSync(join(work, `${tag}-`));
  // Deep enough that "../" tricks in a name or ID still land inside root, where the snapshot sees them.
  const own = join(root, "a/b/c/d");
  const dataDir = join(own, "data");
  const tuningDir = join(own, "tuning");
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(tuningDir);
  return { root, dataDir, tuningDir, victims: makeVictims(join(root, "outside")) };
}

/** Every entry under root except inside the plugin's own directories: type, size and mtime. */
function snapshot(p: Place): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === p.dataDir || path === p.tuningDir) continue;
      const st = lstatSync(path);
      out[path] = `${st.mode}:${st.isDirectory() ? "" : st.size}:${st.isDirectory() ? "" : st.mtimeMs}`;
      if (st.isDirectory()) walk(path);
    }
  };
  walk(p.root);
  return out;
}

interface Subject {
  name: string;
  binary: () => string;
  /** A valid config for `p`, with the container namespace at `ctr`. */
  base: (p: Place, ctr: string) => Record<string, unknown>;
  /** Paths (dotted) never mutated: what keeps every write inside the place. Their ancestors are kept too. */
  pinned: string[];
  ifName?: string;
  /** Chained after an interface plugin: the container gets eth0, a veth whose host side is pfveth0. */
  chained?: boolean;
  /** What ADD with a valid environment and the unmutated config answers: 0, or the error code it must give. */
  validAdd?: number;
}

const prevResult = (ctr: string, address: string) => ({
  cniVersion: "1.0.0",
  interfaces: [{ name: "pfveth0" }, { name: "eth0", sandbox: ctr }],
  ips: [{ address, interface: 1, gateway: address.replace(/\d+\/\d+$/, "1") }],
});

const bin = (name: string) => () => join(BIN, name);

const SUBJECTS: Subject[] = [
  {
    name: "bandwidth",
    binary: bin("bandwidth"),
    base: (_p, ctr) => ({ ingressRate: 1_000_000, ingressBurst: 100_000, egressRate: 2_000_000, egressBurst: 200_000, prevResult: prevResult(ctr, "169.254.76.2/24") }),
    pinned: [],
    chained: true,
  },
  {
    name: "bridge",
    binary: bin("bridge"),
    base: (p) => ({ bridge: "pfbr0", isGateway: true, ipam: { type: "host-local", dataDir: p.dataDir, ranges: [[{ subnet: "169.254.77.0/24" }]] } }),
    pinned: ["ipam.type", "ipam.dataDir"],
  },
  {
    name: "cluster-ipam",
    binary: bin("cluster-ipam"),
    base: () => ({
      ipam: { type: "cluster-ipam", etcd: { endpoints: ["http://127.0.0.1:1"], timeoutMs: 300 }, nodeName: "node-1", ranges: [[{ subnet: "169.254.78.0/24" }]] },
    }),
    pinned: ["ipam.etcd.endpoints", "ipam.etcd.timeoutMs"],
    // Nothing listens on 127.0.0.1:1: etcd unavailable, try again later.
    validAdd: 11,
  },
  {
    name: "host-local",
    binary: bin("host-local"),
    base: (p) => ({ ipam: { type: "host-local", dataDir: p.dataDir, ranges: [[{ subnet: "169.254.79.0/29" }]] } }),
    pinned: ["ipam.dataDir"],
  },
  { name: "loopback", binary: bin("loopback"), base: () => ({}), pinned: [], ifName: "lo" },
  { name: "noop", binary: bin("noop"), base: () => ({ passthrough: false }), pinned: [] },
  {
    name: "portmap",
    binary: bin("portmap"),
    base: (_p, ctr) => ({ snat: true, runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] }, prevResult: prevResult(ctr, "169.254.80.2/24") }),
    pinned: [],
    chained: true,
  },
  {
    name: "ptp",
    binary: bin("ptp"),
    base: (p) => ({ mtu: 1400, ipam: { type: "host-local", dataDir: p.dataDir, ranges: [[{ subnet: "169.254.81.0/24" }]] } }),
    pinned: ["ipam.type", "ipam.dataDir"],
  },
  {
    name: "static",
    binary: bin("static"),
    base: () => ({
      ipam: { type: "static", addresses: [{ address: "169.254.82.2/24", gateway: "169.254.82.1" }, { address: "fd00::82:2/64" }], routes: [{ dst: "169.254.0.0/16" }], dns: { nameservers: ["169.254.82.1"] } },
    }),
    pinned: [],
  },
  {
    name: "tuning",
    binary: bin("tuning"),
    base: (p, ctr) => ({ dataDir: p.tuningDir, mtu: 1400, promisc: true, sysctl: { "net.ipv4.conf.eth0.forwarding": "1" }, prevResult: prevResult(ctr, "169.254.83.2/24") }),
    pinned: ["dataDir"],
    chained: true,
  },
  {
    name: "handler-mistakes",
    binary: () => mistakesBinary,
    // The fixture of test/handler-mistakes.test.ts: each `mistake` must still end in one error object (code 999).
    base: (p) => ({ mistake: "none", slowPlugin: join(p.root, "slow") }),
    pinned: [],
  },
];

const MISTAKES = ["unawaited-ip", "unawaited-slow-exec", "floating-plain", "never-settles", "process-exit-0", "process-exit-3", "awaited-and-caught", "none"];

/** Environment values cannot hold NUL; everything else goes, plus path tricks. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 24 }).map((v) => v.replaceAll("\0", "")),
  fc.constantFrom("", "../x", "../../../../x", "a/../../b", ".", "..", "-", "x".repeat(300)),
);
const verbArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("ADD", "ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION") },
  { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom("add", "ADD ", "DELETE")) },
);
const maybe = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: text }, { weight: 1, arbitrary: fc.constant(undefined) });

/** A value of another type, junk, huge, or a path trick (one pointing at a victim, which must not change). */
function junkValue(p: Place): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, [], {}, [[]], { a: 1 }),
    fc.constantFrom("", "../x", "../../../../../x", "a/../../b", "/", join(p.root, "outside/precious"), join(p.root, "outside/dir"), "\u0000", "x".repeat(100_000)),
    fc.string({ maxLength: 16 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
}

type Op = { op: "drop"; pick: number } | { op: "set"; pick: number; value: unknown } | { op: "add"; pick: number; key: string; value: unknown };

function opArb(p: Place): fc.Arbitrary<Op> {
  return fc.oneof(
    fc.record({ op: fc.constant("drop" as const), pick: fc.nat() }),
    fc.record({ op: fc.constant("set" as const), pick: fc.nat(), value: junkValue(p) }),
    fc.record({ op: fc.constant("add" as const), pick: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "ipam", "type", "x")), value: junkValue(p) }),
  );
}

type Json = Record<string, unknown> | unknown[];

/** Every [container, key, path] in the config, depth first. */
function slots(value: unknown, path = ""): [Json, string | number, string][] {
  if (value === null || typeof value !== "object") return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => {
    const here = path ? `${path}.${k}` : String(k);
    return [[value as Json, k, here] as [Json, string | number, string], ...slots(v, here)];
  });
}

/** Mutates a copy of `config`; pinned paths, their ancestors and descendants stay as they are. */
function mutate(config: Record<string, unknown>, ops: Op[], pinned: string[]): Record<string, unknown> {
  const copy = structuredClone(config);
  const touchesPinned = (path: string) => pinned.some((q) => q === path || q.startsWith(`${path}.`) || path.startsWith(`${q}.`));
  for (const op of ops) {
    if (op.op === "add") {
      const objects = [copy, ...slots(copy).map(([c, k]) => (c as Record<string, unknown>)[k as string])].filter(
        (v): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v),
      );
      const target = objects[op.pick % objects.length]!;
      // Never replace an existing key (it could be pinned); defineProperty so "__proto__" is a plain key.
      if (!Object.hasOwn(target, op.key)) Object.defineProperty(target, op.key, { value: op.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const free = slots(copy).filter(([, , path]) => !touchesPinned(path));
    if (!free.length) continue;
    const [container, key] = free[op.pick % free.length]!;
    if (op.op === "set") (container as Record<string | number, unknown>)[key] = op.value;
    else if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  }
  return copy;
}

/** stdin, made at exec time from the last successful ADD's result (CHECK and DEL may carry it as prevResult). */
type Stdin = (lastAdd: unknown) => Buffer;

interface ConfigChoice {
  cniVersion: unknown;
  extra: Record<string, unknown>;
  gcAttachments: boolean;
  withPrev: boolean;
  ops: Op[];
}

function configOf(s: Subject, p: Place, ctr: string, c: ConfigChoice, lastAdd: unknown): Record<string, unknown> {
  const config: Record<string, unknown> = { cniVersion: c.cniVersion, name: "pfnet", type: s.name, ...s.base(p, ctr), ...c.extra };
  if (c.gcAttachments) config["cni.dev/valid-attachments"] = [];
  if (c.withPrev && lastAdd !== undefined && !s.chained) config.prevResult = lastAdd;
  return mutate(config, c.ops, s.pinned);
}

function stdinArb(s: Subject, p: Place, ctr: string): fc.Arbitrary<Stdin> {
  const valid = fc
    .record({
      cniVersion: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SPEC_VERSIONS) }, { weight: 1, arbitrary: fc.constantFrom("9.9.9", "1.0", "", "1.1.0 ", 1, null) }),
      extra: s.name === "handler-mistakes" ? fc.record({ mistake: fc.constantFrom(...MISTAKES) }) : fc.constant({}),
      gcAttachments: fc.boolean(),
      withPrev: fc.boolean(),
      ops: fc.oneof({ weight: 2, arbitrary: fc.constant<Op[]>([]) }, { weight: 3, arbitrary: fc.array(opArb(p), { minLength: 1, maxLength: 4 }) }),
    })
    .map((c): Stdin => (lastAdd) => Buffer.from(JSON.stringify(configOf(s, p, ctr, c, lastAdd))));
  return fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: fc.jsonValue().map((v): Stdin => () => Buffer.from(JSON.stringify(v) ?? "")) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b): Stdin => () => Buffer.from(b)) },
  );
}

const plantArb = fc.array(
  fc.record({ name: fc.constantFrom("169.254.79.2", "169.254.79.3", "lock", "last_reserved_ip.0"), kind: fc.constantFrom(...PLANT_KINDS) }),
  { maxLength: 3 },
);

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

/** The protocol: what a runtime may rely on from any answer. */
function expectProtocol(run: Exec, verb: string | undefined, what: string): void {
  expect(run.timedOut, `hung for ${EXEC_TIMEOUT_MS} ms: ${what}`).toBe(false);
  expect([0, 1], `status ${run.status} signal ${run.signal}: ${what}`).toContain(run.status);
  expect(run.stdout, what).not.toMatch(STACK);
  expect(run.stderr, what).not.toMatch(STACK);
  if (run.status === 1) {
    const error = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(error).filter((k) => !["cniVersion", "code", "msg", "details"].includes(k)), what).toEqual([]);
    expect(Number.isInteger(error.code), what).toBe(true);
    expect(typeof error.msg, what).toBe("string");
    if ("cniVersion" in error) expect(typeof error.cniVersion, what).toBe("string");
    if ("details" in error) expect(typeof error.details, what).toBe("string");
    return;
  }
  if (run.stdout === "") return;
  const doc = JSON.parse(run.stdout) as Record<string, unknown>;
  if (verb === "VERSION") {
    expect(typeof doc.cniVersion, what).toBe("string");
    expect(Array.isArray(doc.supportedVersions), what).toBe(true);
    for (const v of doc.supportedVersions as unknown[]) expect(SPEC_VERSIONS, what).toContain(v);
  } else {
    expect(verb, `a document on stdout for a verb other than ADD: ${what}`).toBe("ADD");
    expect(() => parseResult(doc), what).not.toThrow();
  }
}

beforeAll(async () => {
  if (skip) return;
  await buildExecutable({ entry: join(import.meta.dirname, "fixtures/handler-mistakes/plugin.ts"), outFile: mistakesBinary });
}, 120_000);

afterAll(async () => {
  await removeAllTestNetns();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip)(`the protocol under random environments and stdin${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it.each(SUBJECTS.map((s) => [s.name, s] as const))("%s: one document or one error object, exit 0 or 1, no stack, no hang, no write outside", async (_name, s) => {
    const p = place(s.name);
    writeFileSync(join(p.root, "slow"), "#!/bin/sh\nexec sleep 2\n");
    chmodSync(join(p.root, "slow"), 0o755);
    await using host = await createTestNetns("pfh");
    await using ctr = await createTestNetns("pfc");
    if (s.chained) execFileSync("ip", ["-n", host.name, "link", "add", "pfveth0", "type", "veth", "peer", "name", "eth0", "netns", ctr.name]);
    const hostLocal = s.name === "host-local";
    const ifName = s.ifName ?? "eth0";
    const safeArgs = fc.constantFrom("IgnoreUnknown=1", "IP=169.254.79.3", "IgnoreUnknown=1;K8S_POD_NAME=web", "IP=fd00::82:9/64");
    const validEnv = fc.record({
      CNI_COMMAND: fc.constantFrom("ADD", "ADD", "ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"),
      CNI_CONTAINERID: fc.constantFrom("ctr-1", "ctr-2"),
      CNI_NETNS: fc.constant(ctr.path),
      CNI_IFNAME: fc.constant(ifName),
      CNI_PATH: fc.constant(BIN),
      CNI_ARGS: fc.option(safeArgs, { nil: undefined }),
    });
    const junkEnv = fc.record({
      CNI_COMMAND: fc.option(verbArb, { nil: undefined, freq: 20 }),
      CNI_CONTAINERID: maybe(fc.constantFrom("ctr-1", "ctr-2")),
      CNI_NETNS: fc.oneof(
        { weight: 5, arbitrary: fc.constant(ctr.path) },
        { weight: 1, arbitrary: fc.constantFrom("/var/run/netns/tscni-protocol-fuzz-never-made", "", "relative/netns") },
        { weight: 1, arbitrary: text },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      CNI_IFNAME: maybe(fc.constant(ifName)),
      CNI_PATH: maybe(fc.constant(BIN)),
      CNI_ARGS: fc.option(fc.oneof(safeArgs, fc.constantFrom("=;==", "IP=", "IP=x;IP=y"), text), { nil: undefined }),
    });
    const env: fc.Arbitrary<Record<string, string | undefined>> = fc.oneof({ weight: 3, arbitrary: validEnv }, { weight: 2, arbitrary: junkEnv });
    const stdin = stdinArb(s, p, ctr.path);
    const plants: fc.Arbitrary<{ name: string; kind: PlantKind }[]> = hostLocal ? plantArb : fc.constant([]);
    // The first run is the plain valid ADD, so every property reaches the plugin's real work at least once.
    const validAdd: [Record<string, string | undefined>, Stdin, { name: string; kind: PlantKind }[]] = [
      { CNI_COMMAND: "ADD", CNI_CONTAINERID: "ctr-1", CNI_NETNS: ctr.path, CNI_IFNAME: ifName, CNI_PATH: BIN },
      (last) => Buffer.from(JSON.stringify(configOf(s, p, ctr.path, { cniVersion: "1.0.0", extra: {}, gcAttachments: false, withPrev: false, ops: [] }, last))),
      [],
    ];
    const before = snapshot(p);
    let runs = 0;
    let lastAdd: unknown;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(env, stdin, plants, async (vars, makeStdin, planted) => {
        runs++;
        const defined = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) as Record<string, string>;
        if (hostLocal) {
          // A fresh data directory per run, so each run's plants are the only ones.
          rmSync(p.dataDir, { recursive: true, force: true });
          mkdirSync(p.dataDir);
          for (const { name, kind } of planted) {
            const path = join(p.dataDir, "pfnet", name);
            try {
              lstatSync(path);
            } catch {
              plant(path, kind, p.victims);
            }
          }
        }
        const input = makeStdin(lastAdd);
        const run = await exec(host.path, s.binary(), defined, input);
        const what = `${s.name} env=${JSON.stringify(defined)} plants=${JSON.stringify(planted)} stdin=${JSON.stringify(input.toString("latin1").slice(0, 800))} -> ${run.status} stdout=${run.stdout.slice(0, 400)} stderr=${run.stderr.slice(0, 400)}`;
        expectProtocol(run, defined.CNI_COMMAND, what);
        expectVictimsUntouched(p.victims);
        expect(snapshot(p), `something outside the plugin's directories changed: ${what}`).toEqual(before);
        const outcome = `${defined.CNI_COMMAND ?? "-"}:${run.status === 1 ? (JSON.parse(run.stdout) as { code: number }).code : run.status}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (defined.CNI_COMMAND === "ADD" && run.status === 0 && run.stdout !== "") lastAdd = JSON.parse(run.stdout);
        if (process.env.TSCNI_FUZZ_SHOW === outcome.split(":")[1]) console.info(what);
        if (runs === 1) expect(outcome, `the valid ADD: ${what}`).toBe(`ADD:${s.validAdd ?? 0}`);
      }),
      { numRuns: RUNS, examples: [validAdd] },
    );
    const tally = [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`);
    console.info(`protocol fuzz ${s.name}: ${runs} execs; verb:status-or-code ${tally.join(" ")}`);
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  }, 180_000);
});
