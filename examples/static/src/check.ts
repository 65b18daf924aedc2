/**
 * CHECK: static holds no state; it verifies that the config still yields
 * addresses (a config edited into an invalid one fails CHECK with code 7).
 */
import { type StaticArgs, staticSettings } from "./config.js";

export function check(args: StaticArgs): void {
  staticSettings(args);
}
