/**
 * cnitool: runs one CNI operation on a network config from NETCONFPATH for a
 * network namespace, the way Go's cnitool does (same environment variables,
 * same container-ID derivation), plus --cache-dir / CNI_CACHE_DIR.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as z from "zod/mini";
import { CniRuntime, loadNetworkConfList, type RuntimeConf } from "@tscni/libcni";
import { CniError, ErrorCode } from "@tscni/types";
import { formatIssues } from "@tscni/types/internal";

export const USAGE = `Usage: cnitool [options] add|check|del|gc|status <network-name> <netns-path>

Runs one CNI operation for the network <network-name> (a config in NETCONFPATH)
on the network namespace <netns-path> (e.g. /var/run/netns/test).

Options:
  -i, --ifname NAME     interface name in the namespace (default: $CNI_IFNAME, else eth0)
      --cache-dir DIR   result cache directory (default: $CNI_CACHE_DIR, else /var/lib/cni)
  -h, --help            show this help

Environment:
  NETCONFPATH    directory of network configs (default /etc/cni/net.d)
  CNI_PATH       plugin directories, colon-separated
  CNI_IFNAME     interface name when -i is not given
  CNI_ARGS       extra arguments for the plugins: "K=V;K2=V2"
  CAP_ARGS       capability arguments as a JSON object, e.g. '{"portMappings":[...]}'
  CNI_CACHE_DIR  result cache directory when --cache-dir is not given

The container ID is "cnitool-" followed by the first 20 hex digits of the
SHA-512 of the absolute netns path, as Go's cnitool derives it.
`;

export interface CliIO {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
}

const COMMANDS = ["add", "check", "del", "gc", "status"] as const;
type Command = (typeof COMMANDS)[number];

/** "cnitool-" + hex of the first 10 bytes of SHA-512(absolute netns path). */
export function containerIdFor(netnsPath: string): string {
  return `cnitool-${createHash("sha512").update(resolve(netnsPath)).digest("hex").slice(0, 20)}`;
}

/** cnitool's CNI_ARGS parser, stricter than a plugin's: each pair is exactly one non-empty key, "=", non-empty value. */
export function parseCnitoolArgs(raw: string | undefined): [string, string][] {
  if (!raw) return [];
  return raw.split(";").map((pair) => {
    const parts = pair.split("=");
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_ARGS pair ${JSON.stringify(pair)}`, 'expected "KEY=VALUE" pairs separated by ";"');
    }
    return [parts[0], parts[1]];
  });
}

export function parseCapArgs(raw: string | undefined): Record<string, unknown> | undefined {
  if (!raw) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid CAP_ARGS: not JSON: ${(e as Error).message}`, `CAP_ARGS=${raw}`);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(doc);
  if (!parsed.success || doc === null || Array.isArray(doc)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "invalid CAP_ARGS: must be a JSON object", parsed.success ? `CAP_ARGS=${raw}` : formatIssues(parsed.error.issues, doc));
  }
  return parsed.data;
}

function usageError(io: CliIO, msg: string): number {
  io.stderr(`cnitool: ${msg}\n\n${USAGE}`);
  return 1;
}

/** The whole tool; returns the exit status. Errors are text on stderr, never a stack trace. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ifname: { type: "string", short: "i" },
        "cache-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    return usageError(io, (e as Error).message);
  }
  if (parsed.values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const [command, netName, netns, ...extra] = parsed.positionals;
  if (!command || !netName || !netns) return usageError(io, "expected a command, a network name and a netns path");
  if (extra.length) return usageError(io, `unexpected arguments: ${extra.join(" ")}`);
  if (!(COMMANDS as readonly string[]).includes(command)) return usageError(io, `unknown command ${JSON.stringify(command)}`);

  try {
    const env = io.env;
    const confDir = env.NETCONFPATH || "/etc/cni/net.d";
    const rt: RuntimeConf = {
      containerId: containerIdFor(netns),
      netns: resolve(netns),
      ifName: parsed.values.ifname || env.CNI_IFNAME || "eth0",
      args: parseCnitoolArgs(env.CNI_ARGS),
    };
    const capabilityArgs = parseCapArgs(env.CAP_ARGS);
    if (capabilityArgs) rt.capabilityArgs = capabilityArgs;
    // Another network's broken file is skipped with a warning; the one asked for fails with its file named.
    const list = await loadNetworkConfList(confDir, netName, { onWarning: (m) => io.stderr(`cnitool: warning: ${m}\n`) });
    const cni = new CniRuntime({
      path: (env.CNI_PATH ?? "").split(":").filter(Boolean),
      cacheDir: parsed.values["cache-dir"] || env.CNI_CACHE_DIR || "/var/lib/cni",
      env,
      onStderr: (text) => io.stderr(text),
    });
    const call = io.signal ? { signal: io.signal } : {};
    switch (command as Command) {
      case "add": {
        const result = await cni.addNetworkList(list, rt, call);
        io.stdout(`${JSON.stringify(result, null, 4)}\n`);
        break;
      }
      case "check":
        await cni.checkNetworkList(list, rt, call);
        break;
      case "del":
        await cni.delNetworkList(list, rt, call);
        break;
      case "gc":
        await cni.gcNetworkList(list, undefined, call);
        break;
      case "status":
        await cni.getStatusNetworkList(list, call);
        break;
    }
    return 0;
  } catch (e) {
    const err = e instanceof CniError ? e : new CniError(ErrorCode.Internal, e instanceof Error ? e.message : String(e));
    io.stderr(`cnitool: ${err.msg}${err.details ? `\n  ${err.details.replace(/\n/g, "\n  ")}` : ""}\n`);
    return 1;
  }
}
