import { pluginMain } from "@tscni/skel";
import { noopPlugin } from "./plugin.js";

void pluginMain(noopPlugin);
