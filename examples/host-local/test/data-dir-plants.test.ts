/**
 * The built host-local against entries someone planted in its data directory:
 * symbolic links (dangling, to a file, to an empty file, to a directory),
 * directories and FIFOs where it expects an address file, a claim, a
 * temporary file, `last_reserved_ip.N` or `lock`. Nothing outside the data
 * directory changes, no verb hangs, DEL always succeeds, and each answer is a
 * correct one: another address, or a code 11 naming the file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execPluginBinary } from "@tscni/netns/testkit";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS, addressesOf, network, run, tempDataDirs } from "./support.js";

const tempDir = tempDataDirs();
const skip = skipReason({ executables: [OURS] });

interface Place {
  root: string;
  dataDir: string;
  victims: { missing: string; file: string; empty: string; dir: string };
}

function place(tag: string): Place {
  const root = tempDir(tag);
  const outside = join(root, "outside");
  mkdirSync(outside);
  const victims = { missing: join(outside, "not-there"), file: join(outside, "precious"), empty: join(outside, "empty"), dir: join(outside, "dir") };
  writeFileSync(victims.file, "precious\n");
  writeFileSync(victims.empty, "");
  mkdirSync(victims.dir);
  return { root, dataDir: join(root, "data"), victims };
}

function expectUntouched(p: Place): void {
  expect(readFileSync(p.victims.file, "utf8")).toBe("precious\n");
  expect(readFileSync(p.victims.empty, "utf8")).toBe("");
  expect(readdirSync(p.victims.dir)).toEqual([]);
  expect(existsSync(p.victims.missing)).toBe(false);
}

function plant(path: string, target: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  symlinkSync(target, path);
}

const KINDS = ["missing", "file", "empty", "dir"] as const;

describe.skipIf(skip)("host-local with symbolic links planted in its data directory", () => {
  it.each(KINDS)("at address and claim names (target: %s): another address, DEL and GC succeed", async (kind) => {
    const p = place(`addr-${kind}`);
    plant(join(p.dataDir, "hlnet", "169.254.30.2"), p.victims[kind]);
    plant(join(p.dataDir, ".tscni-claims", "169.254.30.3"), p.victims[kind]);
    const config = network({ dataDir: p.dataDir });
    const asked = await run({ command: "ADD", config, containerId: "c0", args: "IP=169.254.30.2" });
    expect(asked.json).toMatchObject({ code: 11, msg: "CNI_ARGS IP: 169.254.30.2 is held by another container" });
    const add = await run({ command: "ADD", config, containerId: "c1" });
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(addressesOf(add.json)).toEqual(["169.254.30.4"]);
    const check = await run({ command: "CHECK", config: { ...config, prevResult: add.json }, containerId: "c1" });
    expect(check.exitCode, check.stdout).toBe(0);
    expect((await run({ command: "DEL", config, containerId: "c1" })).exitCode).toBe(0);
    const gc = await run({ command: "GC", config: { ...config, "cni.dev/valid-attachments": [] } });
    expect(gc.exitCode, gc.stdout).toBe(0);
    expect(lstatSync(join(p.dataDir, "hlnet", "169.254.30.2")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(p.dataDir, ".tscni-claims", "169.254.30.3")).isSymbolicLink()).toBe(true);
    expectUntouched(p);
  });

  it.each(KINDS)("at the temporary names the next processes would use (target: %s)", async (kind) => {
    const p = place(`tmp-${kind}`);
    const next = Number(readFileSync("/proc/sys/kernel/ns_last_pid", "utf8"));
    for (let pid = next + 1; pid <= next + 400; pid++) {
      for (const dir of [".tscni-claims", "hlnet"]) plant(join(p.dataDir, dir, `.tmp-${pid}-1`), p.victims[kind]);
    }
    const config = network({ dataDir: p.dataDir });
    for (const id of ["c1", "c2"]) {
      const add = await run({ command: "ADD", config, containerId: id });
      expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    }
    expect(readdirSync(join(p.dataDir, "hlnet")).filter((n) => /^\d/.test(n)).sort()).toEqual(["169.254.30.2", "169.254.30.3"]);
    expectUntouched(p);
  });

  it.each(["last_reserved_ip.0", "lock"])("at %s: ADD is code 11 naming it, nothing reserved, the target untouched", async (name) => {
    const p = place(name.replace(/\W/g, ""));
    for (const kind of KINDS) {
      const net = `net-${kind}`;
      const file = join(p.dataDir, net, name);
      plant(file, p.victims[kind]);
      const config = network({ dataDir: p.dataDir, name: net });
      const r = await run({ command: "ADD", config, containerId: "c1" });
      expect(r.exitCode, kind).toBe(1);
      expect(r.json).toMatchObject({ code: 11 });
      expect((r.json as { msg: string }).msg).toContain(file);
      // DEL needs the lock but never reads last_reserved_ip.
      const del = await run({ command: "DEL", config, containerId: "c1" });
      expect(del.json).toEqual(name === "lock" ? expect.objectContaining({ code: 11 }) : undefined);
      expect(readdirSync(join(p.dataDir, net)).filter((n) => /^\d/.test(n))).toEqual([]);
    }
    expectUntouched(p);
  });
});

describe.skipIf(skip)("host-local with a stray directory or FIFO in its data directory", () => {
  it("a directory under an address name or in the claims directory: every verb succeeds", async () => {
    const p = place("dirs");
    mkdirSync(join(p.dataDir, "hlnet", "169.254.30.2"), { recursive: true });
    mkdirSync(join(p.dataDir, ".tscni-claims", "169.254.30.3"), { recursive: true });
    for (const name of ["hlnet", "other"]) {
      const config = network({ dataDir: p.dataDir, name });
      const add = await run({ command: "ADD", config, containerId: "c1" });
      expect(add.exitCode, add.stdout + add.stderr).toBe(0);
      expect(addressesOf(add.json)).toEqual(["169.254.30.4"]);
      expect((await run({ command: "CHECK", config: { ...config, prevResult: add.json }, containerId: "c1" })).exitCode).toBe(0);
      expect((await run({ command: "STATUS", config })).exitCode).toBe(0);
      expect((await run({ command: "DEL", config, containerId: "c1" })).exitCode).toBe(0);
      expect((await run({ command: "DEL", config, containerId: "c1" })).exitCode).toBe(0);
      expect((await run({ command: "GC", config: { ...config, "cni.dev/valid-attachments": [] } })).exitCode).toBe(0);
    }
    expect(lstatSync(join(p.dataDir, "hlnet", "169.254.30.2")).isDirectory()).toBe(true);
    expect(lstatSync(join(p.dataDir, ".tscni-claims", "169.254.30.3")).isDirectory()).toBe(true);
  });

  it("a FIFO under an address name or a claim name does not hang any verb", async () => {
    const p = place("fifo");
    mkdirSync(join(p.dataDir, "hlnet"), { recursive: true });
    mkdirSync(join(p.dataDir, ".tscni-claims"), { recursive: true });
    execFileSync("mkfifo", [join(p.dataDir, "hlnet", "169.254.30.2"), join(p.dataDir, ".tscni-claims", "169.254.30.3")]);
    const config = network({ dataDir: p.dataDir });
    // As support.run, with a timeout: a hang is a failure here, not a stuck test.
    const exec = (command: string, extra: object = {}) =>
      execPluginBinary({
        binary: OURS,
        command,
        config: { ...config, ...extra },
        containerId: "c1",
        netns: "/var/run/netns/tscni-hl-unused",
        path: ["/usr/lib/cni"],
        timeoutMs: 10_000,
      });
    const add = await exec("ADD");
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(addressesOf(add.json)).toEqual(["169.254.30.4"]);
    expect((await exec("CHECK", { prevResult: add.json })).exitCode).toBe(0);
    expect((await exec("DEL")).exitCode).toBe(0);
    const gc = await exec("GC", { "cni.dev/valid-attachments": [] });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect((await exec("STATUS")).exitCode).toBe(0);
  });
});
