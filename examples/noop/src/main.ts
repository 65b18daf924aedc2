import { ALL_VERSIONS } from "@tscni/version";
import { pluginMain } from "@tscni/skel";
import { noopConfigSchema } from "./config.js";
import { add, check, del, gc, status } from "./handlers.js";

void pluginMain(
  { add, del, check, gc, status },
  { versions: ALL_VERSIONS, about: "CNI noop plugin (tscni example) v0.1.0", name: "noop", config: noopConfigSchema() },
);
