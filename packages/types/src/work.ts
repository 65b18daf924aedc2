/**
 * `@tscni/types/work`: lets SDK code (netns's `ip` runs, invoke's execs, the IPAM store) register the promise of
 * work it starts with the plugin invocation that is running, so skel can refuse to answer while that work is still
 * going and turn its late failure into the verb's error. It lives here, in the package every other one already
 * depends on, so netns, invoke and ipam need no dependency on skel. Outside a dispatch it does nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** One invocation's record of the work started under it. */
export interface WorkScope {
  track(work: Promise<unknown>): void;
}

// One storage per process, shared by every copy of this module (each plugin bundle carries its own copy, and a
// daemon loads several bundles): the scope is per async context, so concurrent invocations never see each other's.
const KEY = Symbol.for("tscni.work.scope");
const holder = globalThis as { [KEY]?: AsyncLocalStorage<WorkScope> };
function storage(): AsyncLocalStorage<WorkScope> {
  return (holder[KEY] ??= new AsyncLocalStorage<WorkScope>());
}

/** Runs `fn` with `scope` as the scope of everything it starts, synchronously or later. */
export function runInWorkScope<T>(scope: WorkScope, fn: () => T): T {
  return storage().run(scope, fn);
}

/**
 * Registers `work` with the running invocation, if any, and returns a promise that settles like it: return that one
 * to the caller. If the caller drops it and the work fails, the rejection still surfaces (unhandled), while the
 * invocation sees the outcome either way.
 */
export function trackWork<T>(work: Promise<T>): Promise<T> {
  const scope = holder[KEY]?.getStore();
  if (scope === undefined) return work;
  scope.track(work);
  return new Promise<T>((resolve, reject) => {
    work.then(resolve, reject);
  });
}
