import { pluginMain } from "@tscni/skel";
import { hostLocalPlugin } from "./plugin.js";

void pluginMain(hostLocalPlugin);
