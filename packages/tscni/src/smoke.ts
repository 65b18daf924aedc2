import { spawn } from "node:child_process";
import type { VersionInfo } from "@tscni/types";
import { decodePluginInfo } from "@tscni/version";

/** Long enough for a cold Node start on a loaded node; a hung binary must not hang the install. */
const SMOKE_TIMEOUT_MS = 20_000;
const MAX_OUTPUT = 1 << 20;

/**
 * Execs `path` with CNI_COMMAND=VERSION and returns its answer. `argv0` is the
 * name a multi-call binary dispatches on, so it can be tested from a temporary
 * file name before that name is ever linked to it. (spawn, not execFile:
 * execFile does not pass argv0 on.)
 */
export function execVersion(path: string, argv0?: string): Promise<VersionInfo> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], {
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", CNI_COMMAND: "VERSION" },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: SMOKE_TIMEOUT_MS,
      ...(argv0 && { argv0 }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.stdin.on("error", () => {});
    child.stdin.end('{"cniVersion":"1.1.0"}');
    child.on("error", (e) => reject(new Error(`cannot exec: ${e.message}`)));
    child.on("close", (code, signal) => {
      const stdout = Buffer.concat(out);
      if (code !== 0) {
        const stderr = Buffer.concat(err).toString().trim().split("\n").slice(-1)[0];
        const why = stdout.length ? stdout.toString().trim() : stderr || "no output";
        reject(new Error(`VERSION failed (${signal ? `killed by ${signal}` : `exit ${code}`}): ${why}`));
        return;
      }
      try {
        resolve(decodePluginInfo(stdout));
      } catch (e) {
        reject(new Error(`VERSION answered something that is not a version document: ${(e as Error).message}`));
      }
    });
  });
}
