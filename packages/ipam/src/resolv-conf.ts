/**
 * Reads a resolv.conf(5) into the CNI DNS object, as host-local's `resolvConf`
 * option does: nameserver, domain, search and options lines; comments and
 * anything else ignored.
 */
import { readFileSync } from "node:fs";
import { CniError, type DNS, ErrorCode } from "@tscni/types";

export function parseResolvConf(text: string): DNS {
  const dns: Required<DNS> = { nameservers: [], domain: "", search: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (!keyword || values.length === 0) continue;
    if (keyword === "nameserver") dns.nameservers.push(values[0] as string);
    else if (keyword === "domain") dns.domain = values[0] as string;
    else if (keyword === "search") dns.search = values;
    else if (keyword === "options") dns.options.push(...values);
  }
  return {
    ...(dns.nameservers.length > 0 && { nameservers: dns.nameservers }),
    ...(dns.domain !== "" && { domain: dns.domain }),
    ...(dns.search.length > 0 && { search: dns.search }),
    ...(dns.options.length > 0 && { options: dns.options }),
  };
}

/** Reads and parses `path`; code 7 naming `field` and the path when it cannot be read. */
export function readResolvConf(path: string, field = "ipam.resolvConf"): DNS {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `${field}: cannot read ${path}`, (e as Error).message);
  }
  return parseResolvConf(text);
}
