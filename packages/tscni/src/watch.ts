import { type FSWatcher, statSync, watch } from "node:fs";
import { messageOf } from "./errors.js";
import { installNode, type NodeInstallOptions } from "./install.js";

export interface WatchOptions {
  /** The periodic check, behind the file events (which a replaced or remounted directory stops). */
  intervalMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Events come in bursts (a rename is two); one repair run answers a burst. */
const SETTLE_MS = 50;

/**
 * Keeps the node as `install` left it: on any event in the bin or conf dir, and
 * every `intervalMs`, runs the same idempotent install again. A deleted or
 * changed binary or config is rewritten (each repair logged); an untouched
 * directory costs a byte comparison and the config's VERSION checks. A failed
 * run is logged and retried at the next event or tick; the watch never removes
 * anything it installed, also not when it is stopped.
 */
export async function watchNode(o: NodeInstallOptions, w: WatchOptions): Promise<void> {
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>();

  // A watch follows the directory's inode: one replaced by a new directory of the same path (a remount, a
  // `mv` and `mkdir`) is watched again from the next run, which the periodic check starts at the latest.
  const arm = (): void => {
    for (const dir of new Set([o.binDir, ...(o.conf ? [o.confDir] : [])])) {
      let ino: number;
      try {
        ino = statSync(dir).ino;
      } catch {
        continue; // gone: the next run recreates it and re-arms
      }
      const current = watchers.get(dir);
      if (current?.ino === ino) continue;
      current?.watcher.close();
      watchers.delete(dir);
      try {
        const watcher = watch(dir, { persistent: false }, schedule);
        watcher.on("error", () => {
          watcher.close();
          if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
        });
        watchers.set(dir, { watcher, ino });
      } catch {
        // Replaced again meanwhile: the next run re-arms.
      }
    }
  };

  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const done: string[] = [];
        try {
          await installNode(o, done);
          for (const action of done) w.log(`repaired: ${action}`);
        } catch (e) {
          for (const action of done) w.log(`repaired: ${action}`);
          w.log(`repair failed, retrying at the next change or check: ${messageOf(e)}`);
        }
        arm();
      } while (again && !w.signal.aborted);
    } finally {
      running = false;
    }
  };

  function schedule(): void {
    if (w.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), SETTLE_MS);
  }

  arm();
  const tick = setInterval(schedule, w.intervalMs);
  await new Promise<void>((resolve) => {
    if (w.signal.aborted) resolve();
    else w.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  clearInterval(tick);
  clearTimeout(timer);
  for (const { watcher } of watchers.values()) watcher.close();
}
