import { mkdir } from "node:fs/promises";
import { type BinarySources, type Form, installBinaries, MULTICALL_NAME, sweepTemporaries } from "./binaries.js";
import { loadDaemon } from "./daemon.js";
import { checkConfigAgainstBinDir, type ConfigSource, configInPlace, parseConfig, removeConfigs, writeConfig } from "./config.js";
import { InstallError, messageOf, UsageError } from "./errors.js";
import { updateRecord } from "./record.js";

export interface NodeInstallOptions extends BinarySources {
  binDir: string;
  confDir: string;
  /** Without one, only binaries are installed. */
  conf?: ConfigSource;
  confName: string;
  /** Earlier names of this network's config file, removed once the new one is in place. */
  oldConfNames: readonly string[];
  /** Default: every type the config names. */
  plugins?: readonly string[];
  form: Form;
  /**
   * Daemon mode: the daemon's socket. Each plugin name gets @tscni/daemon's
   * native shim instead of the plugin itself (the daemon runs the plugins).
   */
  daemonSocket?: string;
}

async function ensureDirectory(dir: string, flag: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new InstallError(`${flag} ${dir} cannot be created: ${messageOf(e)}`);
  }
}

/**
 * Binaries first, config last: the config's appearance is what tells a runtime
 * the network is ready (CRI-O acts on the file event at once), so it is written
 * only after every binary it names is in place and has answered VERSION.
 * Idempotent: a second run with the same inputs changes nothing on disk.
 * Returns one line per change made; each is also pushed to `actions` as it is
 * made, so a caller still sees the binaries that went in when the config is
 * then refused.
 */
export async function installNode(o: NodeInstallOptions, actions: string[] = []): Promise<string[]> {
  const config = o.conf ? parseConfig(o.conf, o.confName) : undefined;
  const plugins = o.plugins ?? config?.types ?? [];
  if (!plugins.length) throw new UsageError("nothing to install: give --plugins, or a config (--conf/--conf-json) whose types name them");
  if (plugins.includes(MULTICALL_NAME)) throw new UsageError(`${MULTICALL_NAME} is the multi-call binary's own name, not a plugin`);
  await ensureDirectory(o.binDir, "--bin-dir");
  if (config) await ensureDirectory(o.confDir, "--conf-dir");
  actions.push(...(await sweepTemporaries(o.binDir, [...plugins, MULTICALL_NAME])));
  let known: ReadonlyMap<string, readonly string[]> = new Map();
  let binariesChanged = true;
  if (o.daemonSocket) {
    const { installShims } = await loadDaemon();
    await installShims({ binDir: o.binDir, socketPath: o.daemonSocket, plugins, shimPath: o.shimFile });
  } else {
    const installed = await installBinaries({ ...o, plugins });
    actions.push(...installed.actions);
    known = installed.versions;
    binariesChanged = installed.actions.length > 0;
  }
  await updateRecord(o.binDir, plugins, o.form);
  if (config) {
    // Unchanged binaries under an unchanged config were checked when it was written: only their presence is.
    // Daemon mode: a shim answers VERSION only once the daemon runs, which may be after this install (an init
    // container); until then STATUS tells the runtime the network is not ready.
    const settled = !binariesChanged && (await configInPlace(o.confDir, o.confName, config.text));
    await checkConfigAgainstBinDir(config, o.binDir, known, !settled && !o.daemonSocket);
    const wrote = await writeConfig(o.confDir, o.confName, config.text);
    if (wrote) actions.push(wrote);
    actions.push(...(await removeConfigs(o.confDir, o.oldConfNames.filter((n) => n !== o.confName))));
  }
  return actions;
}
