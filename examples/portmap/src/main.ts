import { pluginMain } from "@tscni/skel";
import { portmapPlugin } from "./plugin.js";

void pluginMain(portmapPlugin);
