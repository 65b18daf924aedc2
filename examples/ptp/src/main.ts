import { lazySchema, pluginMain } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { ptpConfigSchema } from "./config.js";
import { del } from "./del.js";
import { gc, status } from "./status.js";

void pluginMain(
  { add, del, check, gc, status },
  { versions: ALL_VERSIONS, about: "CNI ptp plugin (tscni example) v0.1.0", name: "ptp", config: lazySchema(ptpConfigSchema) },
);
