/**
 * Binds a real process to `dispatch`: process.env, fd 0, and stdout guarded
 * so that the one JSON document is the only thing a runtime ever reads there.
 */
import { fstatSync, readFileSync } from "node:fs";
import type { StandardSchemaV1 } from "@tscni/types";
import { dispatch } from "./dispatch.js";
import type { StdinSource } from "./stdin.js";
import type { AnyPlugin, ArgsOf, CmdArgs, ConfigOf, PluginHandlers, PluginOptions, ResultInput, SupportedVersions } from "./plugin.js";

type Writer = (chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => boolean;

/**
 * Reads all of fd 0. A regular file is read at once; a pipe, socket or
 * terminal through process.stdin, which can be destroyed when VERSION stops
 * waiting, so a stdin nobody closes never holds the process open.
 */
function processStdin(options?: { signal?: AbortSignal }): Promise<Buffer> {
  try {
    if (fstatSync(0).isFile()) return Promise.resolve(readFileSync(0));
  } catch {
    // No fd 0 at all (closed by the parent): nothing to read.
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = process.stdin;
    const onAbort = () => {
      stream.destroy();
      resolve(Buffer.concat(chunks));
    };
    options?.signal?.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

/** The parts of a process pluginMain uses; tests pass stand-ins. */
export interface Host {
  env: Readonly<Record<string, string | undefined>>;
  stdin: StdinSource;
  stdout: { write: Writer; once(event: "error", listener: (e: unknown) => void): unknown };
  stderr: { write: Writer };
  /** Sets the exit status and ends the process once the answer is out. */
  finish(status: number): void;
}

/** How long the process may stay up after the answer is flushed. */
const EXIT_GRACE_MS = 100;

function realHost(): Host {
  return {
    env: process.env,
    stdin: processStdin,
    stdout: process.stdout as unknown as Host["stdout"],
    stderr: process.stderr as unknown as Host["stderr"],
    finish(status) {
      process.exitCode = status;
      // Work a handler left behind (an open socket, a timer) must not keep the runtime waiting for the exit.
      setTimeout(() => process.exit(status), EXIT_GRACE_MS).unref();
    },
  };
}

/**
 * From here on every write to stdout (console.log included, from the handler
 * or any dependency, even from a timer left running after the handler
 * returned) goes to stderr; the returned function writes the real stdout.
 */
function guardStdout(host: Host): (chunk: string) => Promise<void> {
  const stdout = host.stdout;
  const realWrite = stdout.write.bind(stdout);
  const stderrWrite = host.stderr.write.bind(host.stderr);
  stdout.write = (chunk, encodingOrCallback, callback) => stderrWrite(chunk, encodingOrCallback, callback);
  return (chunk) =>
    new Promise<void>((resolve) => {
      // An EPIPE (the runtime went away) has no one to report to; the exit status still tells.
      stdout.once("error", () => resolve());
      realWrite(chunk, () => resolve());
    });
}

/** Runs one invocation against a host: the body of pluginMain. */
export async function runOnHost(plugin: AnyPlugin, host: Host): Promise<void> {
  const writeStdout = guardStdout(host);
  let document: string | undefined;
  const status = await dispatch(plugin, {
    env: host.env,
    stdin: host.stdin,
    stdout: (chunk) => {
      document = chunk;
    },
    stderr: (chunk) => {
      host.stderr.write(chunk);
    },
  });
  if (document !== undefined) await writeStdout(document);
  host.finish(status);
}

export type { SupportedVersions };

/** The positional form, as Go's PluginMain(cmdAdd, cmdDel, versionInfo, about). */
export function pluginMain(
  add: (args: CmdArgs) => ResultInput | Promise<ResultInput>,
  del: (args: CmdArgs) => void | Promise<void>,
  versionInfo?: SupportedVersions,
  about?: string,
): Promise<void>;
/** Handlers plus options; the `config` schema's output types `args.config` in every handler. */
export function pluginMain<
  ConfigSchema extends StandardSchemaV1 | undefined = undefined,
  ArgsSchema extends StandardSchemaV1 | undefined = undefined,
>(
  handlers: PluginHandlers<ConfigOf<ConfigSchema>, ArgsOf<ArgsSchema>>,
  options?: PluginOptions<ConfigSchema, ArgsSchema>,
): Promise<void>;
export async function pluginMain(
  first: AnyPlugin | ((args: CmdArgs) => unknown),
  second?: unknown,
  versionInfo?: SupportedVersions,
  about?: string,
): Promise<void> {
  const plugin: AnyPlugin =
    typeof first === "function"
      ? ({ add: first, del: second, versions: versionInfo, about } as AnyPlugin)
      : ({ ...first, ...(second as PluginOptions<StandardSchemaV1 | undefined, StandardSchemaV1 | undefined> | undefined) } as AnyPlugin);
  await runOnHost(plugin, realHost());
}
