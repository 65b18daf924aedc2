import { lstat, rm } from "node:fs/promises";
import { join } from "node:path";
import { CODE_CACHE_SUFFIX, syncDirectory } from "@tscni/bundle";
import { removeUnusedMulticall } from "./binaries.js";
import { launchedEntries, pruneStore } from "./bundle-store.js";
import { removeConfigs } from "./config.js";
import { InstallError, messageOf } from "./errors.js";
import { readRecord, RECORD_NAME, writeRecord } from "./record.js";

export interface NodeUninstallOptions {
  binDir: string;
  confDir: string;
  confNames: readonly string[];
  /** Default: what the install record in the bin dir lists. */
  plugins?: readonly string[];
  /** Daemon mode's socket directory (e.g. /run/tscni), removed last. */
  socketDir?: string;
}

async function removeEntry(path: string, what: string, actions: string[], recursive = false): Promise<void> {
  if (!(await lstat(path).catch(() => undefined))) return;
  try {
    await rm(path, { force: true, recursive });
    actions.push(`removed ${what}`);
  } catch (e) {
    throw new InstallError(`cannot remove ${path}: ${messageOf(e)}`);
  }
}

/**
 * The reverse of install, in the reverse order: the config goes first, so no
 * runtime starts an ADD with a plugin about to disappear; then the binaries,
 * their code caches and links, and the scripts no launcher left execs; then
 * the daemon's socket directory. Idempotent:
 * what is already gone is skipped.
 */
export async function uninstallNode(o: NodeUninstallOptions): Promise<string[]> {
  const actions = await removeConfigs(o.confDir, o.confNames);
  const plugins = o.plugins ?? (await readRecord(o.binDir))?.plugins ?? [];
  const dirExists = !!(await lstat(o.binDir).catch(() => undefined));
  if (dirExists) {
    for (const plugin of plugins) {
      await removeEntry(join(o.binDir, plugin), plugin, actions);
      await removeEntry(join(o.binDir, plugin + CODE_CACHE_SUFFIX), plugin + CODE_CACHE_SUFFIX, actions);
    }
    const multicall = await removeUnusedMulticall(o.binDir);
    if (multicall) actions.push(multicall);
    const record = await readRecord(o.binDir);
    const left = record?.plugins.filter((p) => !plugins.includes(p)) ?? [];
    // The scripts of the removed launchers go at once (the node is being drained); those the rest exec stay.
    actions.push(...(await pruneStore(o.binDir, await launchedEntries(o.binDir, left), new Set(), 0)));
    if (record && left.length) await writeRecord(o.binDir, { ...record, plugins: left });
    else await removeEntry(join(o.binDir, RECORD_NAME), RECORD_NAME, actions);
    if (actions.length) await syncDirectory(o.binDir);
  }
  if (o.socketDir) await removeEntry(o.socketDir, o.socketDir, actions, true);
  return actions;
}
