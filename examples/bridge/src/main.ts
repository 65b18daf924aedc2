import { pluginMain } from "@tscni/skel";
import { versionsStartingFrom } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { bridgeConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc, status } from "./status.js";

void pluginMain(
  { add, del, check, gc, status },
  { versions: versionsStartingFrom("0.3.0"), about: "CNI bridge plugin (tscni example) v0.1.0", name: "bridge", config: bridgeConfigSchema() },
);
