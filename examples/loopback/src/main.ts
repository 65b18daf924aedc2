import { pluginMain } from "@tscni/skel";
import { ALL_VERSIONS } from "@tscni/version";
import { add } from "./add.js";
import { check } from "./check.js";
import { del } from "./del.js";
import { status } from "./status.js";

void pluginMain({ add, del, check, status }, { versions: ALL_VERSIONS, about: "CNI loopback plugin (tscni example) v0.1.0", name: "loopback" });
