/** GC: static reserves nothing, so every attachment's state is already gone. */
import type { StaticArgs } from "./config.js";

export function gc(_args: StaticArgs): void {}
