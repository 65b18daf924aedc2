/** ADD: the configured (or requested) addresses, routes and DNS as an abbreviated IPAM result. */
import type { ResultInput } from "@tscni/skel";
import { type StaticArgs, staticSettings } from "./config.js";

export function add(args: StaticArgs): ResultInput {
  const { ips, routes, dns } = staticSettings(args);
  return { ips, ...(routes.length > 0 && { routes }), ...(dns && { dns }) };
}
