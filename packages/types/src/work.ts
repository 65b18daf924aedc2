/**
 * `@tscni/types/work`: lets SDK code (netns's `ip` runs, invoke's execs, the IPAM store) register the promise of
 * work it starts with the plugin invocation that is running, so skel can refuse to answer while that work is still
 * going and turn its late failure into the verb's error. It lives here, in the package every other one already
 * depends on, so netns, invoke and ipam need no dependency on skel. Outside an invocation it does nothing.
 *
 * Two ways to hold a scope. A process that is one invocation (a plugin exec) claims the process: one global slot,
 * nothing else loaded. A host running several invocations at once (a daemon, tests) gives each its own async
 * context through AsyncLocalStorage, created only then: on Node 20 its first use turns on a promise hook that every
 * later promise of the process pays for, which a plugin exec does not need.
 */
import type { AsyncLocalStorage } from "node:async_hooks";

/** One invocation's record of the work started under it. */
export interface WorkScope {
  track(work: Promise<unknown>): void;
}

// Shared by every copy of this module (each plugin bundle carries its own copy, and a daemon loads several
// bundles), hence keys from Symbol.for on globalThis.
const STORAGE = Symbol.for("tscni.work.scope");
const SOLE = Symbol.for("tscni.work.processScope");
const holder = globalThis as { [STORAGE]?: AsyncLocalStorage<WorkScope>; [SOLE]?: WorkScope };

function storage(): AsyncLocalStorage<WorkScope> {
  if (holder[STORAGE] === undefined) {
    const { AsyncLocalStorage: Storage } = process.getBuiltinModule("node:async_hooks");
    holder[STORAGE] = new Storage<WorkScope>();
  }
  return holder[STORAGE];
}

/** Runs `fn` with `scope` as the scope of everything it starts, synchronously or later (its async context). */
export function runInWorkScope<T>(scope: WorkScope, fn: () => T): T {
  return storage().run(scope, fn);
}

/**
 * Makes `scope` the scope of all work the process starts until the returned release is called: for a process
 * that serves exactly one invocation. A later claim replaces an earlier one (whose handler never finished).
 */
export function claimProcessScope(scope: WorkScope): () => void {
  holder[SOLE] = scope;
  return () => {
    if (holder[SOLE] === scope) delete holder[SOLE];
  };
}

/**
 * Registers `work` with the running invocation, if any, and returns a promise that settles like it: return that one
 * to the caller. If the caller drops it and the work fails, the rejection still surfaces (unhandled), while the
 * invocation sees the outcome either way.
 */
export function trackWork<T>(work: Promise<T>): Promise<T> {
  const scope = holder[SOLE] ?? holder[STORAGE]?.getStore();
  if (scope === undefined) return work;
  scope.track(work);
  return new Promise<T>((resolve, reject) => {
    work.then(resolve, reject);
  });
}
