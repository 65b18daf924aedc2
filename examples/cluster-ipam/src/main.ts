import { pluginMain } from "@tscni/skel";
import { clusterIpamPlugin } from "./plugin.js";

void pluginMain(clusterIpamPlugin);
