import { definePlugin, lazySchema } from "@tscni/skel";
import { versionsStartingFrom } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { tuningConfigSchema } from "./config.js";
import { del } from "./del.js";
import { status } from "./status.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const tuningPlugin = definePlugin({
  add, del, check, status,
  // Chained plugins need prevResult, which configs carry from 0.3.0 on.
  versions: versionsStartingFrom("0.3.0"),
  config: lazySchema(tuningConfigSchema),
  name: "tuning", about: "CNI tuning plugin (tscni example) v0.1.0",
});
