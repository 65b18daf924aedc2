/**
 * Handler mistakes that would otherwise reach a runtime as success. A handler
 * that returns while work it started is still running (a missing `await`)
 * would get its answer written before that work fails. So every handler runs
 * in a work scope (@tscni/types/work): the SDK registers what it starts there
 * (netns's `ip` runs, invoke's execs, the IPAM store's operations), and the
 * answer waits until that work has settled, at most `pendingWorkTimeoutMs`.
 * Work that fails in that wait, or outlasts it, turns the answer into error
 * 999 naming the verb. Awaited code has nothing pending when its handler
 * returns and pays one counter check.
 *
 * Per invocation only (async context, no process-wide state), so a host that
 * runs several invocations in one process gets it as well; what needs the
 * process (exit interception, unhandled rejections, an empty event loop) is
 * plugin-main.ts's, in exec mode.
 */
import { CniError, ErrorCode } from "@tscni/types";
import { claimProcessScope, runInWorkScope, type WorkScope } from "@tscni/types/work";
import { dispatch as dispatchUnguarded } from "./dispatch.js";
import type { DispatchIO } from "./dispatch.js";
import type { AnyPlugin, CmdArgs } from "./plugin.js";

/** How long an answer waits for work its handler left running: long enough for an `ip` run or a delegate. */
export const DEFAULT_PENDING_WORK_TIMEOUT_MS = 2000;

export interface GuardHooks {
  /**
   * True while the process has I/O requests in flight that no scope tracks (a floating `fs.promises` call):
   * exec mode only, where the process is this one invocation. The answer also waits for those.
   */
  untrackedInFlight?: () => boolean;
  /** The process serves this one invocation (exec mode): its work scope is the process's, no async context needed. */
  soleInvocation?: boolean;
}

/** The handler keys that run a handler (everything else in a plugin object is an option). */
const HANDLER_KEYS = ["add", "del", "check", "gc", "status", "delWithInvalidConfig"] as const;

class Scope implements WorkScope {
  pending = 0;
  /** Failures of work that settled after the handler returned; before that, the handler saw them (or should have). */
  readonly late: unknown[] = [];
  collecting = false;
  #wake: (() => void) | undefined;

  track(work: Promise<unknown>): void {
    this.pending++;
    work.then(
      () => this.#settled(),
      (error: unknown) => {
        if (this.collecting) this.late.push(error);
        this.#settled();
      },
    );
  }

  #settled(): void {
    this.pending--;
    if (this.pending === 0) this.#wake?.();
  }

  /** Resolves when nothing tracked is pending, or false once `deadline` passes. */
  drained(deadline: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      this.#wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notAwaited(verb: string, why: string): CniError {
  return new CniError(ErrorCode.Internal, `${verb}: a promise was not awaited: ${why}`);
}

/** Polls (1 ms) until the untracked requests are done, or false at the deadline. */
async function untrackedDone(inFlight: () => boolean, deadline: number): Promise<boolean> {
  while (inFlight()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

/**
 * Runs `handler` in a fresh work scope; returns (or throws) what it did, once the work it left running has
 * settled. A handler's own failure wins over what its leftover work did.
 */
export async function runGuarded<T>(verb: string, handler: () => T | Promise<T>, timeoutMs: number, hooks: GuardHooks = {}): Promise<T> {
  const scope = new Scope();
  const release = hooks.soleInvocation === true ? claimProcessScope(scope) : undefined;
  try {
    return await settle(verb, scope, release ? handler : () => runInWorkScope(scope, handler), timeoutMs, hooks);
  } finally {
    release?.();
  }
}

async function settle<T>(verb: string, scope: Scope, handler: () => T | Promise<T>, timeoutMs: number, hooks: GuardHooks): Promise<T> {
  let value: T;
  let failure: { error: unknown } | undefined;
  try {
    value = await handler();
  } catch (e) {
    failure = { error: e };
  }
  const untracked = hooks.untrackedInFlight;
  if (scope.pending > 0 || untracked?.()) {
    scope.collecting = true;
    const deadline = Date.now() + timeoutMs;
    const drained = (await scope.drained(deadline)) && (untracked === undefined || (await untrackedDone(untracked, deadline)));
    // One turn of the loop: a rejection that just happened reaches the process's unhandledRejection first.
    await new Promise((resolve) => setImmediate(resolve));
    if (failure) throw failure.error;
    const [late] = scope.late;
    if (scope.late.length > 0) {
      throw notAwaited(verb, `the handler returned while work it started was still running, and that work failed: ${messageOf(late)}`);
    }
    if (!drained) {
      throw notAwaited(verb, `work the handler started was still running ${timeoutMs} ms after it returned`);
    }
  }
  if (failure) throw failure.error;
  return value!;
}

/** `plugin` with every handler guarded; options and absent handlers unchanged. */
export function guardPlugin(plugin: AnyPlugin, hooks: GuardHooks = {}): AnyPlugin {
  const guarded: Record<string, unknown> = { ...plugin };
  for (const key of HANDLER_KEYS) {
    const handler = plugin[key] as ((args: CmdArgs<unknown, unknown>) => unknown) | undefined;
    if (typeof handler !== "function") continue;
    guarded[key] = (args: CmdArgs<unknown, unknown>) =>
      runGuarded(args.command, () => handler.call(plugin, args), pendingWorkTimeout(plugin), hooks);
  }
  return guarded as unknown as AnyPlugin;
}

function pendingWorkTimeout(plugin: AnyPlugin): number {
  const ms = plugin.pendingWorkTimeoutMs;
  if (ms === undefined) return DEFAULT_PENDING_WORK_TIMEOUT_MS;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new CniError(ErrorCode.Internal, "invalid plugin option", `pendingWorkTimeoutMs: expected a number >= 0, got ${JSON.stringify(ms)}`);
  }
  return ms;
}

/** `dispatch` with the handlers guarded: what pluginMain, runPlugin and a host that captured the plugin run. */
export function dispatch(plugin: AnyPlugin, io: DispatchIO, hooks?: GuardHooks): Promise<number> {
  return dispatchUnguarded(guardPlugin(plugin, hooks), io);
}
