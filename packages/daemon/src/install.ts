/**
 * Installing the shim under each plugin's name. The shim's settings (socket,
 * the plugin's CNI versions for VERSION, the DEL spool) are patched into a
 * reserved 4096-byte region of the binary that starts with a marker, rather
 * than kept in a sidecar file: each plugin is then one file, replaced by one
 * rename, so a runtime can never exec a shim whose settings belong to another
 * install, and copying /opt/cni/bin elsewhere keeps them.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { loadPluginBundle, supportedVersionsOf } from "./load.js";
import { SHIM_FILE_NAME, writeShimConfig } from "./shim-config.js";

export { SHIM_FILE_NAME };

const SUN_PATH_MAX = 107;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION = /^\d+\.\d+\.\d+$/;

export interface ShimSettings {
  socketPath: string;
  versions: readonly string[];
  delSpool?: string;
}

/** The shim's bytes with `settings` written into its reserved region. */
export function patchShim(shim: Buffer, settings: ShimSettings): Buffer {
  const socketPath = resolve(settings.socketPath);
  if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) throw new Error(`socket path ${socketPath} is longer than a unix socket path may be (${SUN_PATH_MAX} bytes)`);
  for (const v of settings.versions) if (!VERSION.test(v)) throw new Error(`supported version ${JSON.stringify(v)} is not major.minor.patch`);
  if (settings.versions.length === 0) throw new Error("a shim needs at least one supported version");
  return writeShimConfig(shim, {
    socket: socketPath,
    versions: settings.versions.join(","),
    ...(settings.delSpool && { delSpool: resolve(settings.delSpool) }),
  });
}

export interface InstallShimsOptions {
  binDir: string;
  socketPath: string;
  /** Plugin names to install a shim for. */
  plugins: readonly string[];
  /**
   * Each plugin's supported CNI versions (what VERSION answers while the daemon is down). A plugin missing
   * here is asked: its bundle beside the shim (dist/bin/<name>) is loaded and its VERSION answer read.
   */
  versions?: Readonly<Record<string, readonly string[]>>;
  delSpool?: string;
  /** The built shim (default: dist/bin/tscni-shim beside the running script). */
  shimPath?: string;
}

/** Writes each shim under a temp name in binDir, fsyncs, renames it over the plugin's name; unchanged files are left alone. */
export async function installShims(o: InstallShimsOptions): Promise<void> {
  const shimPath = o.shimPath ?? join(dirname(process.argv[1] ?? "."), SHIM_FILE_NAME);
  const shim = await readFile(shimPath).catch((e: Error) => {
    throw new Error(`cannot read the shim ${shimPath}: ${e.message} (built by npm run build; needs gcc)`);
  });
  for (const name of o.plugins) {
    if (!NAME.test(name)) throw new Error(`plugin name ${JSON.stringify(name)} is not a plain file name`);
    const versions = o.versions?.[name] ?? (await supportedVersionsOf(loadPluginBundle(name, join(dirname(shimPath), name))));
    const bytes = patchShim(shim, { socketPath: o.socketPath, versions, ...(o.delSpool && { delSpool: o.delSpool }) });
    const target = join(o.binDir, name);
    const current = await readFile(target).catch(() => undefined);
    if (current?.equals(bytes)) continue;
    const tmp = join(o.binDir, `.${name}.tscni-${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(tmp, bytes, { mode: 0o755, flag: "wx" });
      await chmod(tmp, 0o755);
      fsyncPath(tmp);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
  fsyncPath(o.binDir);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
