import type { NoopArgs } from "./config.js";
import { perform } from "./script.js";

export function del(args: NoopArgs): void {
  perform("DEL", args);
}
