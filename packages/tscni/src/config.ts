import { access, constants, readFile, rm } from "node:fs/promises";
import { extname, join } from "node:path";
import { writeFileAtomic, syncDirectory } from "@tscni/bundle";
import { confListFromConf, type NetworkConfigList, parseConf, parseConfList } from "@tscni/libcni";
import { CniError } from "@tscni/types";
import { parseVersion } from "@tscni/version";
import { InstallError, messageOf, UsageError } from "./errors.js";
import { execVersion } from "./smoke.js";

export const DEFAULT_CONF_NAME = "10-tscni.conflist";

/** The network config as given (--conf FILE or --conf-json), before it is checked. */
export interface ConfigSource {
  text: string;
  /** Where it came from, for messages: a path or "--conf-json". */
  origin: string;
}

export interface CheckedConfig {
  /** The exact bytes to write: what was given, so an unchanged input rewrites nothing. */
  text: string;
  list: NetworkConfigList;
  /** Every plugin type the config makes a runtime exec: each plugin's and each `ipam` section's. */
  types: string[];
}

/** The file extensions runtimes load, and whether each holds a list. */
export function expectsList(confName: string): boolean {
  const ext = extname(confName);
  if (ext === ".conflist") return true;
  if (ext === ".conf" || ext === ".json") return false;
  throw new UsageError(`--conf-name ${JSON.stringify(confName)} must end in .conflist, .conf or .json: runtimes load no other file`);
}

export async function readConfigSource(file: string): Promise<ConfigSource> {
  try {
    return { text: await readFile(file, "utf8"), origin: file };
  } catch (e) {
    throw new InstallError(`cannot read --conf ${file}: ${messageOf(e)}`);
  }
}

/**
 * Parses the config with libcni's rules for the file name it will get: a list in
 * a .conflist, a single plugin config in a .conf or .json (runtimes reject a list
 * in a .conf with "no 'type'", and a single config in a .conflist).
 */
export function parseConfig(src: ConfigSource, confName: string): CheckedConfig {
  const list = expectsList(confName);
  let parsed: NetworkConfigList;
  try {
    const doc: unknown = JSON.parse(src.text);
    const isList = typeof doc === "object" && doc !== null && "plugins" in doc;
    if (isList !== list) {
      throw new InstallError(
        `${src.origin} is ${isList ? "a configuration list" : "a single plugin config"}, but ${confName} is loaded as ${list ? "a list" : "a single config"}; ` +
          `give --conf-name a ${isList ? ".conflist" : ".conf"} name`,
      );
    }
    parsed = list ? parseConfList(src.text) : confListFromConf(parseConf(src.text));
  } catch (e) {
    if (e instanceof InstallError) throw e;
    const why = e instanceof CniError ? e.message : `not JSON: ${messageOf(e)}`;
    throw new InstallError(`config ${src.origin} is invalid: ${why}`);
  }
  if (!parsed.cniVersion) throw new InstallError(`config ${src.origin} names no cniVersion; runtimes skip such a config`);
  try {
    parseVersion(parsed.cniVersion);
  } catch (e) {
    throw new InstallError(`config ${src.origin}: cniVersion ${JSON.stringify(parsed.cniVersion)} is not a version: ${messageOf(e)}`);
  }
  if (!parsed.plugins.length) throw new InstallError(`config ${src.origin} names no plugins`);
  const types = new Set<string>();
  for (const p of parsed.plugins) {
    types.add(p.network.type);
    const ipam = p.network.ipam;
    if (typeof ipam === "object" && ipam !== null && "type" in ipam && typeof ipam.type === "string" && ipam.type) types.add(ipam.type);
  }
  return { text: src.text, list: parsed, types: [...types] };
}

/**
 * The checks that need the installed binaries: every type is an executable in
 * the bin dir (ours or another project's), and each supports the config's
 * cniVersion, asked with VERSION as a runtime's validator does. `known` holds
 * the answers this install's smoke tests already got; `askOthers` false skips
 * the VERSION execs of the rest (nothing changed since they were checked, as on
 * a --watch tick).
 */
export async function checkConfigAgainstBinDir(
  config: CheckedConfig,
  binDir: string,
  known: ReadonlyMap<string, readonly string[]> = new Map(),
  askOthers = true,
): Promise<void> {
  const version = parseVersion(config.list.cniVersion);
  // Concurrently: one at a time would cost a Node start per plugin in a row.
  await Promise.all(config.types.map((type) => checkPlugin(binDir, type, version, config.list.cniVersion, known.get(type), askOthers)));
}

async function checkPlugin(binDir: string, type: string, version: string, given: string, known: readonly string[] | undefined, ask: boolean): Promise<void> {
  const path = join(binDir, type);
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new InstallError(`config names plugin "${type}", but ${path} is not an executable; config not written`);
  }
  let supported = known;
  if (!supported && !ask) return;
  try {
    supported ??= (await execVersion(path)).supportedVersions;
  } catch (e) {
    throw new InstallError(`config names plugin "${type}", whose VERSION fails: ${messageOf(e)}; config not written`);
  }
  if (!supported.some((v) => v === version || safeParse(v) === version)) {
    throw new InstallError(`config's cniVersion ${given} is not supported by plugin "${type}" (it supports ${supported.join(", ")}); config not written`);
  }
}

function safeParse(v: string): string | undefined {
  try {
    return parseVersion(v);
  } catch {
    return undefined;
  }
}

/**
 * Writes the config under a temporary name no runtime loads (a leading dot and
 * a `.tmp-…` extension), fsyncs it and renames it into place. Unchanged bytes
 * are not rewritten, so its mtime (what runtimes watch) stays still.
 */
export async function writeConfig(confDir: string, confName: string, text: string): Promise<string | undefined> {
  if (await configInPlace(confDir, confName, text)) return undefined;
  const dest = join(confDir, confName);
  await writeFileAtomic(dest, text, 0o644);
  return `wrote ${confName}`;
}

export async function configInPlace(confDir: string, confName: string, text: string): Promise<boolean> {
  return (await readFile(join(confDir, confName), "utf8").catch(() => undefined)) === text;
}

export async function removeConfigs(confDir: string, names: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    const path = join(confDir, name);
    try {
      await rm(path);
      removed.push(`removed ${name}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new InstallError(`cannot remove ${path}: ${messageOf(e)}`);
    }
  }
  if (removed.length) await syncDirectory(confDir);
  return removed;
}
