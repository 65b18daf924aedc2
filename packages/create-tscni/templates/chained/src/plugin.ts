import { definePlugin, lazySchema } from "@tscni/skel";
import { add } from "./add.js";
import { check } from "./check.js";
import { configSchema } from "./config.js";
import { del } from "./del.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const plugin = definePlugin({
  add, check, del,
  versions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  config: lazySchema(configSchema),
  name: "__NAME__", about: "__NAME__ v0.1.0",
});
