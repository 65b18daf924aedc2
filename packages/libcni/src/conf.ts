/**
 * Network configuration files: parsing a list (.conflist) or a single plugin
 * config (.conf/.json), and finding a network by name in a directory, with
 * Go libcni's rules (docs/spec-notes.md §7.1).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import * as z from "zod/mini";
import { CniError, CURRENT_VERSION, ErrorCode } from "@tscni/types";
import { formatIssues } from "@tscni/types/internal";
import { compareVersions, parseVersion } from "@tscni/version";
import { checkJsonDepth, isObject, sortedJson } from "./json.js";
import { validateNetworkName } from "./names.js";

/** One plugin of a list: its parsed standard fields and the exact JSON it is built from. */
export interface PluginConfig {
  readonly network: PluginConf;
  /** The plugin object as JSON (keys sorted); the base of the stdin it receives. */
  readonly bytes: string;
}

export interface PluginConf {
  readonly type: string;
  readonly name?: string;
  readonly cniVersion?: string;
  readonly capabilities?: Readonly<Record<string, boolean>>;
  readonly [key: string]: unknown;
}

export interface NetworkConfigList {
  readonly name: string;
  /** The version every plugin of the list is called with ("" when the file names none). */
  readonly cniVersion: string;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly loadOnlyInlinedPlugins: boolean;
  readonly plugins: readonly PluginConfig[];
  /** The list as loaded; cached with each attachment. */
  readonly bytes: string;
}

function invalid(msg: string, details?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

let listSchemaMemo: ReturnType<typeof buildListSchema> | undefined;
function buildListSchema() {
  // libcni accepts the flags as booleans or "true"/"false" in any case.
  const flag = z.optional(z.union([z.boolean(), z.stringbool({ truthy: ["true"], falsy: ["false"], case: "insensitive" })]));
  return z.looseObject({
    name: z.string(),
    cniVersion: z.optional(z.string()),
    cniVersions: z.optional(z.array(z.string())),
    disableCheck: flag,
    disableGC: flag,
    loadOnlyInlinedPlugins: flag,
    plugins: z.optional(z.array(z.unknown())),
  });
}
const listSchema = () => (listSchemaMemo ??= buildListSchema());

let pluginSchemaMemo: ReturnType<typeof buildPluginSchema> | undefined;
function buildPluginSchema() {
  return z.looseObject({
    type: z.string().check(z.minLength(1)),
    name: z.optional(z.string()),
    cniVersion: z.optional(z.string()),
    capabilities: z.optional(z.record(z.string(), z.boolean())),
  });
}
const pluginSchema = () => (pluginSchemaMemo ??= buildPluginSchema());

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `error parsing ${what}: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new CniError(ErrorCode.DecodingFailure, `error parsing ${what}: not a JSON object`);
  checkJsonDepth(doc, what);
  return doc;
}

/** Parses one plugin object; `where` names it in errors. */
export function pluginConfFromObject(obj: unknown, where: string): PluginConfig {
  if (!isObject(obj)) throw invalid(`error parsing ${where}: not a JSON object`);
  if (obj.type === undefined || obj.type === "") throw invalid(`error parsing ${where}: missing 'type'`);
  const parsed = pluginSchema().safeParse(obj);
  if (!parsed.success) throw invalid(`error parsing ${where}: ${formatIssues(parsed.error.issues, obj)}`);
  return { network: parsed.data as PluginConf, bytes: sortedJson(obj) };
}

/** A single plugin config (.conf/.json), the format the spec dropped in 1.0.0. */
export function parseConf(text: string): PluginConfig {
  return pluginConfFromObject(parseJsonObject(text, "configuration"), "configuration");
}

/**
 * `cniVersions` picks the highest version this SDK supports among it and
 * `cniVersion`; without it, `cniVersion` is used verbatim (Go does the same,
 * so a too-new version fails later, at the plugin, with a version error).
 */
function pickVersion(cniVersion: string | undefined, cniVersions: string[] | undefined): string {
  if (cniVersions === undefined) return cniVersion ?? "";
  const candidates: string[] = [];
  for (const v of cniVersions) {
    try {
      parseVersion(v);
    } catch (e) {
      throw invalid(`error parsing configuration list: invalid version ${JSON.stringify(v)} in cniVersions`, (e as Error).message);
    }
    candidates.push(v);
  }
  if (cniVersion) candidates.push(cniVersion);
  let best = "";
  for (const v of candidates) {
    let normal: string;
    try {
      normal = parseVersion(v);
    } catch {
      continue;
    }
    if (compareVersions(normal, CURRENT_VERSION) > 0) continue;
    if (best === "" || compareVersions(normal, parseVersion(best)) > 0) best = v;
  }
  return best;
}

/** Parses a configuration list (.conflist). `plugins` may be absent when drop-in plugin files supply them. */
export function parseConfList(text: string): NetworkConfigList {
  const doc = parseJsonObject(text, "configuration list");
  if (doc.name === undefined) throw invalid("error parsing configuration list: no name");
  const parsed = listSchema().safeParse(doc);
  if (!parsed.success) throw invalid(`error parsing configuration list: ${formatIssues(parsed.error.issues, doc)}`);
  const l = parsed.data;
  const loadOnlyInlinedPlugins = l.loadOnlyInlinedPlugins ?? false;
  if (l.plugins === undefined && loadOnlyInlinedPlugins) {
    throw invalid("error parsing configuration list: no plugins in list", "loadOnlyInlinedPlugins is true and there is no \"plugins\" array");
  }
  if (l.plugins !== undefined && l.plugins.length === 0) throw invalid("error parsing configuration list: no plugins in list");
  const plugins = (l.plugins ?? []).map((p, i) => pluginConfFromObject(p, `plugin config ${i}`));
  return {
    name: l.name,
    cniVersion: pickVersion(l.cniVersion, l.cniVersions),
    disableCheck: l.disableCheck ?? false,
    disableGC: l.disableGC ?? false,
    loadOnlyInlinedPlugins,
    plugins,
    bytes: text,
  };
}

/** Wraps a single plugin config into a one-plugin list carrying its name and version. */
export function confListFromConf(conf: PluginConfig): NetworkConfigList {
  const name = conf.network.name ?? "";
  const cniVersion = conf.network.cniVersion ?? "";
  return {
    name,
    cniVersion,
    disableCheck: false,
    disableGC: false,
    loadOnlyInlinedPlugins: false,
    plugins: [conf],
    bytes: sortedJson({ cniVersion, name, plugins: [JSON.parse(conf.bytes)] }),
  };
}

/** Files in `dir` (not recursive) whose extension is one of `exts` ("conf", not ".conf"), sorted; a missing dir is empty. */
export async function confFiles(dir: string, exts: readonly string[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CniError(ErrorCode.IOFailure, `cannot read configuration directory ${dir}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const entry of entries) {
    const ext = extname(entry.name).slice(1);
    if (!exts.includes(ext)) continue;
    const path = join(dir, entry.name);
    // Symlinks count as what they point to; directories never.
    if (entry.isDirectory()) continue;
    if (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory()) continue;
    out.push(path);
  }
  return out.sort(byteOrder);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new CniError(ErrorCode.IOFailure, `cannot read ${path}: ${(e as Error).message}`);
  }
}

function inFile(path: string, e: unknown): CniError {
  if (!(e instanceof CniError)) throw e;
  return new CniError(e.code, `${path}: ${e.msg}`, e.details, { cause: e });
}

/** A network name becomes a directory name (drop-ins) and part of cache file names: at most this many bytes. */
export const MAX_NETWORK_NAME_BYTES = 255;

/**
 * What makes `name` unusable as a network name here (Go's character set, and
 * short enough to be a file name), or undefined. Checked before the name is
 * used as a path: a NUL byte would make readdir throw, a long one ENAMETOOLONG,
 * "../x" would walk out of the config directory.
 */
export function networkNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_NETWORK_NAME_BYTES) return `network name is ${bytes} bytes long, more than ${MAX_NETWORK_NAME_BYTES}`;
  try {
    validateNetworkName(name);
  } catch (e) {
    const error = e as CniError;
    return error.details ? `${error.msg}: ${JSON.stringify(error.details)}` : error.msg;
  }
  return undefined;
}

/**
 * Loads a .conflist; unless `loadOnlyInlinedPlugins`, plugin objects from
 * `<dir>/<network name>/*.conf` are appended after the inlined ones.
 */
export async function loadConfListFile(path: string): Promise<NetworkConfigList> {
  let list: NetworkConfigList;
  try {
    list = parseConfList(await readText(path));
  } catch (e) {
    throw inFile(path, e);
  }
  if (list.loadOnlyInlinedPlugins) return list;
  // The network name becomes a directory name here: only a valid one is used (no "/", "..", NUL, over-long).
  const dropIns = networkNameProblem(list.name) === undefined ? await confFiles(join(dirname(path), list.name), ["conf"]) : [];
  const extra: PluginConfig[] = [];
  for (const file of dropIns) {
    try {
      extra.push(pluginConfFromObject(parseJsonObject(await readText(file), "plugin config"), `plugin config ${basename(file)}`));
    } catch (e) {
      throw inFile(file, e);
    }
  }
  const plugins = [...list.plugins, ...extra];
  if (plugins.length === 0) throw invalid(`${path}: no plugin configs found`, `no "plugins" in the list and no *.conf in ${join(dirname(path), list.name)}`);
  return { ...list, plugins };
}

/** Loads a single-plugin config file (.conf/.json). */
export async function loadConfFile(path: string): Promise<PluginConfig> {
  try {
    return parseConf(await readText(path));
  } catch (e) {
    throw inFile(path, e);
  }
}

export interface LoadNetworkOptions {
  /** Told, one line each, about every file skipped while looking for another network (default: not told). */
  onWarning?: ((message: string) => void) | undefined;
}

/** The `name` a config file names, read leniently (for a file that failed to load); undefined if it names none. */
async function nameIn(file: string): Promise<unknown> {
  try {
    const doc: unknown = JSON.parse(await readFile(file, "utf8"));
    return isObject(doc) ? doc.name : undefined;
  } catch {
    return undefined;
  }
}

function asCniError(file: string, e: unknown): CniError {
  if (e instanceof CniError) return e;
  return new CniError(ErrorCode.InvalidNetworkConfig, `${file}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Finds network `name` in `dir`: every .conflist in byte order, then,
 * deprecated, single .conf/.json configs; the first with that name wins.
 *
 * One bad file never breaks finding another network (Go fails the whole
 * search on any broken file): a file that does not load (not JSON, nested too
 * deep, invalid fields) or names an unusable network (networkNameProblem) is
 * skipped, with one line naming it to `onWarning`, unless it is the one asked
 * for: then its error, naming the file, is the answer. Skipped files are also
 * listed in the "not found" error.
 */
export async function loadNetworkConfList(dir: string, name: string, o: LoadNetworkOptions = {}): Promise<NetworkConfigList> {
  const skipped: string[] = [];
  const skip = (file: string, why: string): void => {
    skipped.push(`${file}: ${why}`);
    o.onWarning?.(`skipping ${file}: ${why}`);
  };
  /** The config in `file` if it is network `name`; undefined (skipped, or another network) otherwise. */
  async function attempt<T extends { name: string | undefined }>(file: string, load: () => Promise<T>): Promise<T | undefined> {
    let loaded: T;
    try {
      loaded = await load();
    } catch (e) {
      const error = asCniError(file, e);
      if ((await nameIn(file)) === name) throw error;
      skip(file, error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message);
      return undefined;
    }
    const problem = loaded.name === undefined ? undefined : networkNameProblem(loaded.name);
    if (loaded.name === name) {
      if (problem) throw invalid(`${file}: ${problem}`);
      return loaded;
    }
    if (problem) skip(file, problem);
    return undefined;
  }

  const lists = await confFiles(dir, ["conflist"]);
  for (const file of lists) {
    const list = await attempt(file, () => loadConfListFile(file));
    if (list) return list;
  }
  const singles = await confFiles(dir, ["conf", "json"]);
  if (lists.length === 0 && singles.length === 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `no net configurations found in ${dir}`);
  }
  for (const file of singles) {
    const found = await attempt(file, async () => {
      const conf = await loadConfFile(file);
      return { conf, name: conf.network.name };
    });
    if (found) return confListFromConf(found.conf);
  }
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `no net configuration with name ${JSON.stringify(name)} in ${dir}`,
    skipped.length ? `skipped ${skipped.length} file(s) that could not be loaded:\n${skipped.join("\n")}` : undefined,
  );
}
