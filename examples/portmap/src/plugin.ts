import { definePlugin, lazySchema } from "@tscni/skel";
import { versionsStartingFrom } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { portmapConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc } from "./gc.js";
import { status } from "./status.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const portmapPlugin = definePlugin({
  add, del, check, gc, status,
  // Chained plugins need prevResult, which configs carry from 0.3.0 on.
  versions: versionsStartingFrom("0.3.0"),
  config: lazySchema(portmapConfigSchema),
  name: "portmap", about: "CNI portmap plugin (tscni example, nftables) v0.1.0",
});
