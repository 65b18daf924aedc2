import { pluginMain } from "@tscni/skel";
import { ptpPlugin } from "./plugin.js";

void pluginMain(ptpPlugin);
