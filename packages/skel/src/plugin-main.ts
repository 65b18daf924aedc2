/**
 * Binds a real process to `dispatch`: process.env, fd 0, and stdout guarded
 * so that the one JSON document is the only thing a runtime ever reads there.
 */
import { fdStdin, redirectStdoutToStderr, writeFdSync } from "./process-io.js";
import { CniError, ErrorCode } from "@tscni/types";
import type { StandardSchemaV1 } from "@tscni/types";
import { dispatch } from "./guard.js";
import type { StdinSource } from "./stdin.js";
import type { AnyPlugin, ArgsOf, CmdArgs, ConfigOf, Plugin, PluginHandlers, PluginOptions, ResultInput, SupportedVersions } from "./plugin.js";

/** The parts of a process pluginMain uses; tests pass stand-ins. */
export interface Host {
  env: Readonly<Record<string, string | undefined>>;
  stdin: StdinSource;
  /** From now on, writes meant for stdout by any code go to stderr. */
  redirectStdout(): void;
  /** Writes the one document, synchronously; throws if it cannot. */
  writeStdout(chunk: string): void;
  writeStderr(chunk: string): void;
  /** Calls `listener` for an exception or rejection nothing else caught (a handler's timer, a floating promise). */
  onFatal(listener: (error: unknown, kind?: "exception" | "rejection") => void): void;
  /** Sets the exit status and ends the process once the answer is out. */
  finish(status: number): void;
  /** Calls `listener` when nothing is left that could run (the event loop is empty) and the process would end. */
  onIdle?(listener: () => void): void;
  /**
   * Routes `process.exit(code)` through `decide`: it returns the error to throw at the caller instead of exiting,
   * or undefined to let the process end with the status already set.
   */
  interceptExit?(decide: (code: unknown) => Error | undefined): void;
  /** True while the process has I/O requests in flight (fs, dns): work a floating promise may still fail. */
  untrackedInFlight?(): boolean;
}

/** How long the process may stay up after the answer is written. */
const EXIT_GRACE_MS = 100;

function realHost(): Host {
  return {
    env: process.env,
    stdin: fdStdin(),
    redirectStdout: () => redirectStdoutToStderr(),
    writeStdout: (chunk) => writeFdSync(1, chunk),
    writeStderr: (chunk) => {
      try {
        writeFdSync(2, chunk);
      } catch {
        // stderr gone: nothing useful left to do with a log line.
      }
    },
    onFatal(listener) {
      process.on("uncaughtException", (error) => listener(error, "exception"));
      process.on("unhandledRejection", (reason) => listener(reason, "rejection"));
    },
    finish(status) {
      process.exitCode = status;
      // Work a handler left behind (an open socket, a timer) must not keep the runtime waiting for the exit.
      setTimeout(() => process.exit(status), EXIT_GRACE_MS).unref();
    },
    onIdle(listener) {
      process.on("beforeExit", listener);
    },
    interceptExit(decide) {
      const exit = process.exit.bind(process);
      process.exit = ((code?: unknown) => {
        const refusal = decide(code);
        if (refusal) throw refusal;
        return exit(process.exitCode);
      }) as typeof process.exit;
    },
    untrackedInFlight: () => process.getActiveResourcesInfo().some((name) => IO_REQUEST.test(name)),
  };
}

/** libuv requests (as opposed to handles such as timers or sockets, which may stay open): fs, dns, connect. */
const IO_REQUEST = /Req|ConnectWrap/u;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Code 999 with `cause`'s stack kept for the debug log. */
function internal(message: string, cause: unknown): CniError {
  const error = new CniError(ErrorCode.Internal, message, undefined, { cause });
  if (cause instanceof Error && cause.stack) error.stack = `${error.name}: ${message}\ncaused by ${cause.stack}`;
  return error;
}

/** Runs one invocation against a host: the body of pluginMain. */
export async function runOnHost(plugin: AnyPlugin, host: Host): Promise<void> {
  host.redirectStdout();
  // A crash while the handler runs becomes the verb's error (code 999) instead of a stack and no answer.
  let failHandler: (error: unknown) => void = () => {};
  const fatal = new Promise<never>((_, reject) => {
    failHandler = reject;
  });
  fatal.catch(() => {});
  let answered = false;
  const verb = host.env.CNI_COMMAND || "the verb";
  host.onFatal((error, kind) => {
    if (!answered) {
      // A rejection nobody handled is a promise nobody awaited; a timer's throw keeps its own message.
      return failHandler(kind === "rejection" ? internal(`${verb}: a promise was not awaited, and it failed: ${messageOf(error)}`, error) : error);
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    host.writeStderr(`error after the answer was written (ignored): ${text}\n`);
  });
  // A handler whose promise can no longer settle: Node would end with status 0 and nothing on stdout.
  host.onIdle?.(() => {
    if (!answered) failHandler(new CniError(ErrorCode.Internal, `${verb}: the handler never finished: its promise never settled, and nothing is left running that could settle it`));
  });
  host.interceptExit?.((code) => {
    if (answered) {
      if (code !== undefined && Number(code) !== process.exitCode) host.writeStderr(`process.exit(${String(code)}) after the answer: exiting with the answer's status\n`);
      return undefined;
    }
    const error = new CniError(ErrorCode.Internal, `${verb}: process.exit(${code === undefined ? "" : String(code)}) was called before the answer was written`);
    failHandler(error);
    return error;
  });
  const status = await dispatch(
    plugin,
    {
      env: host.env,
      stdin: host.stdin,
      stdout: (chunk) => host.writeStdout(chunk),
      stderr: (chunk) => host.writeStderr(chunk),
      fatal,
    },
    { soleInvocation: true, ...(host.untrackedInFlight && { untrackedInFlight: () => host.untrackedInFlight?.() === true }) },
  );
  answered = true;
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
/**
 * One object, handlers and options together (`definePlugin({...})` or written
 * inline): the `config` schema's output types `args.config` in every handler.
 */
export function pluginMain<
  ConfigSchema extends StandardSchemaV1 | undefined = undefined,
  ArgsSchema extends StandardSchemaV1 | undefined = undefined,
>(plugin: Plugin<ConfigSchema, ArgsSchema>): Promise<void>;
/** Handlers plus options; the `config` schema's output types `args.config` in every handler. */
export function pluginMain<
  ConfigSchema extends StandardSchemaV1 | undefined = undefined,
  ArgsSchema extends StandardSchemaV1 | undefined = undefined,
>(
  handlers: PluginHandlers<ConfigOf<ConfigSchema>, ArgsOf<ArgsSchema>>,
  options: PluginOptions<ConfigSchema, ArgsSchema>,
): Promise<void>;
export async function pluginMain(
  first: AnyPlugin | ((args: CmdArgs) => unknown),
  second?: unknown,
  versionInfo?: SupportedVersions,
  about?: string,
): Promise<void> {
  const plugin = pluginFromArguments(first, second, versionInfo, about);
  // A host serving plugins itself (the tscni daemon) loads the bundle with this hook set: the bundle's
  // plugin and its own dispatch are handed over, and the process is not bound to this one invocation.
  const capture = (globalThis as Record<symbol, unknown>)[Symbol.for(PLUGIN_CAPTURE_HOOK)];
  if (typeof capture === "function") return void (capture as PluginCapture)({ plugin, dispatch });
  await runOnHost(plugin, realHost());
}

/** `Symbol.for` key of the hook: a global, so it reaches the copy of skel inside each plugin bundle. */
export const PLUGIN_CAPTURE_HOOK = "tscni.pluginMain.capture";
export type PluginCapture = (captured: { plugin: AnyPlugin; dispatch: typeof dispatch }) => void;

/** Both call forms of pluginMain as one plugin object. */
export function pluginFromArguments(
  first: AnyPlugin | ((args: CmdArgs) => unknown),
  second?: unknown,
  versionInfo?: SupportedVersions,
  about?: string,
): AnyPlugin {
  if (typeof first === "function") return { add: first, del: second, versions: versionInfo, about } as AnyPlugin;
  return { ...first, ...(second as PluginOptions<StandardSchemaV1 | undefined, StandardSchemaV1 | undefined> | undefined) } as AnyPlugin;
}
