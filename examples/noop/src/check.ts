import type { NoopArgs } from "./config.js";
import { perform } from "./script.js";

export function check(args: NoopArgs): void {
  perform("CHECK", args);
}
