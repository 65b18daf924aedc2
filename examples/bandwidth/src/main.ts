import { pluginMain } from "@tscni/skel";
import { bandwidthPlugin } from "./plugin.js";

void pluginMain(bandwidthPlugin);
