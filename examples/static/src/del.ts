/** DEL: static holds no state, so there is nothing to release. */
import type { StaticArgs } from "./config.js";

export function del(_args: StaticArgs): void {}
