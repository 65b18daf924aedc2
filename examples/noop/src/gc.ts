import type { NoopArgs } from "./config.js";
import { perform } from "./script.js";

export function gc(args: NoopArgs): void {
  perform("GC", args);
}
