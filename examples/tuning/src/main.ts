import { pluginMain } from "@tscni/skel";
import { tuningPlugin } from "./plugin.js";

void pluginMain(tuningPlugin);
