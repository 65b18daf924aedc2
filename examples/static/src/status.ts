/** STATUS: static depends on nothing outside its config, so it can always serve ADD. */
import type { StaticArgs } from "./config.js";

export function status(_args: StaticArgs): void {}
