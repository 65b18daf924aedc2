import type { NoopArgs } from "./config.js";
import { perform } from "./script.js";

export function status(args: NoopArgs): void {
  perform("STATUS", args);
}
