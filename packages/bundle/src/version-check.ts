import { BundleError } from "./errors.js";
import { LOAD_FAILURE_MSG } from "./load-guard.js";
import type { VersionAnswers } from "./warm-cache.js";

/**
 * The build runs each plugin's VERSION once (the code cache's warm-up run, or
 * a run of its own) and refuses a plugin whose answer no runtime could use:
 * an error object (skel refuses a `versions` list with a non-canonical entry
 * such as "1.0" on every verb, VERSION included), or supportedVersions with an
 * entry that is not one of the spec's versions (a skel that does not check yet
 * prints what it was given). A plugin that could not load in the build's
 * environment (VERSION printed nothing, or the load guard's error) is not
 * refused here: the guard reports it at run time, where the environment may
 * differ.
 */

/** The spec's versions; kept in step with @tscni/types (the bundle does not import the SDK). */
const SPEC_VERSIONS: readonly string[] = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

function refuse(applet: string, why: string): BundleError {
  const which = applet === "main" ? "the plugin" : `applet ${applet}`;
  return new BundleError("VERSION_REFUSED", `${which} answers VERSION with ${why}; a runtime could not use it, so nothing was written`);
}

export function checkVersionAnswers(answers: VersionAnswers): void {
  for (const [applet, stdout] of Object.entries(answers)) {
    let doc: unknown;
    try {
      doc = JSON.parse(stdout);
    } catch {
      continue;
    }
    if (typeof doc !== "object" || doc === null) continue;
    const d = doc as { code?: unknown; msg?: unknown; details?: unknown; supportedVersions?: unknown };
    if (d.code !== undefined && d.msg !== LOAD_FAILURE_MSG) {
      throw refuse(applet, `error ${String(d.code)}: ${String(d.msg)}${d.details ? ` (${String(d.details)})` : ""}`);
    }
    const listed = Array.isArray(d.supportedVersions) ? (d.supportedVersions as unknown[]) : [];
    const bad = listed.filter((v) => typeof v !== "string" || !SPEC_VERSIONS.includes(v));
    if (bad.length) {
      throw refuse(applet, `supportedVersions ${JSON.stringify(bad)}, not spec versions (${SPEC_VERSIONS.join(", ")}); declare versions as written in the spec, e.g. "1.0.0"`);
    }
  }
}
