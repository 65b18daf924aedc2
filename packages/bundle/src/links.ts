import { basename, dirname, join } from "node:path";
import { symlinkAtomic } from "./atomic.js";

/**
 * Points `dir/<name>` at the executable for each applet name, as relative
 * symlinks so the directory can be moved or mounted elsewhere as a whole.
 */
export async function linkApplets(executable: string, names: readonly string[]): Promise<string[]> {
  const dir = dirname(executable);
  const target = basename(executable);
  const made: string[] = [];
  for (const name of names) {
    if (name === target) continue;
    const link = join(dir, name);
    await symlinkAtomic(target, link);
    made.push(link);
  }
  return made;
}
