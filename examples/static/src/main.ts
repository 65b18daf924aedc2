import { pluginMain } from "@tscni/skel";
import { staticPlugin } from "./plugin.js";

void pluginMain(staticPlugin);
