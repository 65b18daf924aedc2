import { pluginMain } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { hostLocalConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc } from "./gc.js";
import { status } from "./status.js";

void pluginMain(
  { add, del, check, gc, status },
  { versions: ALL_VERSIONS, about: "CNI host-local IPAM plugin (tscni example) v0.1.0", name: "host-local", config: hostLocalConfigSchema() },
);
