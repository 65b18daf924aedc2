/**
 * Whether a plugin can serve a config: the exact-match rule of the spec and
 * the minimum config version of the verbs added after 0.1.0.
 */
import { CniError, ErrorCode, isVerb } from "@tscni/types";
import { VERB_MIN_VERSION } from "@tscni/types/internal";
import type { PluginInfo } from "./version.js";
import { compareVersions, parseVersion } from "./version.js";

/** `["a" "b"]`, the way Go prints a string list with %q. */
function goQuotedList(list: readonly string[]): string {
  return `[${list.map((v) => JSON.stringify(v)).join(" ")}]`;
}

/**
 * The config version when the plugin lists it (exact string match, as the
 * spec requires: "1.0" does not match "1.0.0"), else CniError 1
 * `incompatible CNI versions` with details `config is "x", plugin supports ["a" "b"]`.
 */
export function reconcile(configVersion: string, info: PluginInfo): string {
  if (info.supportedVersions.includes(configVersion)) return configVersion;
  throw new CniError(
    ErrorCode.IncompatibleVersion,
    "incompatible CNI versions",
    `config is ${JSON.stringify(configVersion)}, plugin supports ${goQuotedList(info.supportedVersions)}`,
  );
}

/**
 * Refuses CHECK, GC and STATUS when the config's version predates the verb
 * (CniError 1 `config version does not allow CHECK`) or when the plugin
 * lists no version at least as new as the config's (CniError 1 `plugin
 * version does not allow CHECK`); an unparseable version is CniError 6. Any
 * other verb passes. The exact-match `reconcile` still has to follow, as in Go.
 */
export function checkVerbAllowed(verb: string, configVersion: string, info: PluginInfo): void {
  // ADD, DEL and VERSION exist at every version: nothing to check (and Go checks nothing for them).
  const min = isVerb(verb) ? VERB_MIN_VERSION[verb] : undefined;
  if (min === undefined || min === "0.1.0") return;
  const config = parseVersion(configVersion);
  if (compareVersions(config, min) < 0) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `config version does not allow ${verb}`,
      `config is ${JSON.stringify(configVersion)}; ${verb} needs cniVersion ${min} or later`,
    );
  }
  // Walk in order like Go, so an unparseable entry met before a match is the same code 6.
  for (const v of info.supportedVersions) {
    if (compareVersions(v, config) >= 0) return;
  }
  throw new CniError(
    ErrorCode.IncompatibleVersion,
    `plugin version does not allow ${verb}`,
    `config is ${JSON.stringify(configVersion)}, plugin supports ${goQuotedList(info.supportedVersions)}`,
  );
}
