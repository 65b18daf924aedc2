import { definePlugin } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { del } from "./del.js";
import { status } from "./status.js";

/** Handlers and options in one value: `main.ts` binds it to the process, tests run it in process. */
export const loopbackPlugin = definePlugin({
  add, del, check, status,
  versions: ALL_VERSIONS,
  name: "loopback", about: "CNI loopback plugin (tscni example) v0.1.0",
});
