import { definePlugin, lazySchema } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { noopConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc } from "./gc.js";
import { status } from "./status.js";

/**
 * VERSION never sees a config, so a test that needs a plugin speaking fewer
 * versions sets NOOP_SUPPORTED_VERSIONS (comma separated) in the environment.
 */
function supportedVersions(): typeof ALL_VERSIONS {
  const list = (process.env.NOOP_SUPPORTED_VERSIONS ?? "").split(",").filter((v) => v !== "");
  // Unchecked here: skel refuses an entry that is not a spec version string before anything else (code 999).
  return list.length > 0 ? (list as unknown as typeof ALL_VERSIONS) : ALL_VERSIONS;
}

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const noopPlugin = definePlugin({
  add, del, check, gc, status,
  versions: supportedVersions(),
  config: lazySchema(noopConfigSchema),
  name: "noop", about: "CNI noop plugin (tscni example) v0.1.0",
});
