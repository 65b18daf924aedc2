import { ALL_VERSIONS } from "@tscni/version";
import { lazySchema, pluginMain } from "@tscni/skel";
import { noopConfigSchema } from "./config.js";
import { add, check, del, gc, status } from "./handlers.js";

/**
 * VERSION never sees a config, so a test that needs a plugin speaking fewer
 * versions sets NOOP_SUPPORTED_VERSIONS (comma separated) in the environment.
 */
function supportedVersions(): readonly string[] {
  const list = (process.env.NOOP_SUPPORTED_VERSIONS ?? "").split(",").filter((v) => v !== "");
  return list.length > 0 ? list : ALL_VERSIONS;
}

void pluginMain(
  { add, del, check, gc, status },
  { versions: supportedVersions(), about: "CNI noop plugin (tscni example) v0.1.0", name: "noop", config: lazySchema(noopConfigSchema) },
);
