import { definePlugin, lazySchema } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { hostLocalConfigSchema } from "./config.js";
import { del } from "./del.js";
import { delWithInvalidConfig } from "./del-invalid-config.js";
import { gc } from "./gc.js";
import { status } from "./status.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const hostLocalPlugin = definePlugin({
  add, del, delWithInvalidConfig, check, gc, status,
  versions: ALL_VERSIONS,
  config: lazySchema(hostLocalConfigSchema),
  name: "host-local", about: "CNI host-local IPAM plugin (tscni example) v0.1.0",
});
