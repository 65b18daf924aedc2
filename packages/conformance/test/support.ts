import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Report } from "@tscni/conformance";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const CLI = join(ROOT, "dist/bin/cni-conformance");
const FIXTURE = resolve(import.meta.dirname, "fixtures/plugin.mjs");

const tempDirs: string[] = [];
/** A fresh directory under the system temp dir, removed by `removeTempDirs`. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tscni-conf-${tag}-`));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Fixture {
  binary: string;
  state: string;
}

/**
 * An executable wrapper around the fixture plugin: the checker controls the
 * plugin's whole environment, so the fault is baked into the wrapper.
 */
export function fixture(fault: string, opts: { iface?: boolean; chained?: boolean } = {}): Fixture {
  const dir = tempDir(fault || "good");
  const state = join(dir, "state");
  const binary = join(dir, fault || "good");
  const vars = [`FIXTURE_STATE=${state}`, `FIXTURE_FAULT=${fault}`, opts.iface ? "FIXTURE_IFACE=1" : "", opts.chained ? "FIXTURE_CHAINED=1" : ""].filter(Boolean).join(" ");
  writeFileSync(binary, `#!/bin/sh\n${vars} exec ${process.execPath} ${FIXTURE}\n`);
  chmodSync(binary, 0o755);
  return { binary, state };
}

export const failing = (r: Report): string[] => r.checks.filter((c) => c.status === "fail").map((c) => c.id).sort();
export const statusOf = (r: Report, id: string): string | undefined => r.checks.find((c) => c.id === id)?.status;

/** A config file from test/configs with its @DATADIR@ replaced by a fresh directory. */
export function configFile(name: string): string {
  const dir = tempDir(name);
  const text = readFileSync(resolve(import.meta.dirname, "configs", `${name}.json`), "utf8").replaceAll("@DATADIR@", join(dir, "data"));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, text);
  return file;
}

/** Runs the bundled CLI as a user would; returns its exit status and the parsed --json report. */
export async function runCli(args: string[]): Promise<{ status: number; report: Report }> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return new Promise((resolveRun, reject) => {
    execFile(CLI, [...args, "--json"], { env, encoding: "utf8", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const status = err ? Number((err as { code?: unknown }).code) : 0;
      if (status !== 0 && status !== 1) return reject(new Error(`cni-conformance exited ${status}: ${stderr}`));
      try {
        resolveRun({ status, report: JSON.parse(stdout) as Report });
      } catch (e) {
        reject(new Error(`cni-conformance printed no JSON report (${(e as Error).message}): ${stdout.slice(0, 300)} ${stderr}`));
      }
    });
  });
}

/** Network namespaces whose names start with `prefix` (the checker names its own cnic-<pid>-...). */
export function namespacesStartingWith(prefix: string): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}
