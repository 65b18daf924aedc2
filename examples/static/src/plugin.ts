import { definePlugin, lazySchema } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { staticConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc } from "./gc.js";
import { status } from "./status.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const staticPlugin = definePlugin({
  add, del, check, gc, status,
  versions: ALL_VERSIONS,
  config: lazySchema(staticConfigSchema),
  name: "static", about: "CNI static IPAM plugin (tscni example) v0.1.0",
});
