/**
 * The CNI data model as plain TypeScript types. The zod schemas in this
 * package validate wire data into exactly these shapes; everything inside the
 * SDK works with them.
 *
 * Handlers see one result model: the newest (1.1.0). Older wire shapes exist
 * only at the edges (parsing stdin/stdout, printing) and are converted by
 * `convertResult`.
 */

/** Every spec version the SDK speaks, oldest first. */
export const SPEC_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];
export const CURRENT_VERSION: SpecVersion = "1.1.0";

export function isSpecVersion(v: unknown): v is SpecVersion {
  return typeof v === "string" && (SPEC_VERSIONS as readonly string[]).includes(v);
}

/** The six verbs a runtime may send in CNI_COMMAND. */
export const VERBS = ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"] as const;
export type Verb = (typeof VERBS)[number];

export function isVerb(v: unknown): v is Verb {
  return typeof v === "string" && (VERBS as readonly string[]).includes(v);
}

/** The oldest config version that may carry each verb (CHECK came with 0.4.0, GC and STATUS with 1.1.0). */
export const VERB_MIN_VERSION: Readonly<Record<Verb, SpecVersion>> = Object.freeze({
  ADD: "0.1.0",
  DEL: "0.1.0",
  VERSION: "0.1.0",
  CHECK: "0.4.0",
  GC: "1.1.0",
  STATUS: "1.1.0",
});

// ---------------------------------------------------------------- results

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Route {
  /** Destination CIDR. */
  dst: string;
  gw?: string;
  /** 1.1.0 additions; kept through 0.3.x/0.4.0 output as Go does. */
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  /** 0 global, 253 link, 254 host. */
  scope?: number;
}

export interface Interface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  sandbox?: string;
  /** 1.1.0 */
  socketPath?: string;
  /** 1.1.0 */
  pciID?: string;
}

export interface IPConfig {
  /** Index into `interfaces`; IPAM plugins omit it. */
  interface?: number;
  /** CIDR, host bits kept: "169.254.1.5/16". */
  address: string;
  gateway?: string;
}

/** The 1.0.0/1.1.0 result: the model handlers build and receive. */
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

/** 0.3.0, 0.3.1, 0.4.0 wire shape: each IP carries its family. */
export interface IPConfig040 extends IPConfig {
  version: "4" | "6";
}
export interface Result040 {
  cniVersion: string;
  interfaces?: Pick<Interface, "name" | "mac" | "sandbox">[];
  ips?: IPConfig040[];
  routes?: Route[];
  dns?: DNS;
}

/** 0.1.0, 0.2.0 wire shape: one IPv4 and one IPv6 configuration at most. */
export interface IPConfig020 {
  ip: string;
  gateway?: string;
  routes?: Pick<Route, "dst" | "gw">[];
}
export interface Result020 {
  cniVersion: string;
  ip4?: IPConfig020;
  ip6?: IPConfig020;
  dns?: DNS;
}

/** A result in any spec version's shape; `cniVersion` tells which. */
export type AnyResult = Result | Result040 | Result020;

// ---------------------------------------------------------------- configs

/** One `{containerID, ifname}` pair of a GC request. */
export interface Attachment {
  containerID: string;
  ifname: string;
}

/** The standard fields of a plugin's network configuration (stdin). */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: { type?: string; [key: string]: unknown };
  dns?: DNS;
  args?: Record<string, unknown>;
  runtimeConfig?: Record<string, unknown>;
  /** Raw as received; skel hands handlers a parsed, converted copy. */
  prevResult?: Record<string, unknown>;
  "cni.dev/valid-attachments"?: Attachment[] | null;
  "cni.dev/attachments"?: Attachment[] | null;
  [key: string]: unknown;
}

/** A network configuration list (.conflist). */
export interface NetConfList {
  cniVersion?: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  loadOnlyInlinedPlugins?: boolean;
  plugins: NetConfListPlugin[];
  [key: string]: unknown;
}

export interface NetConfListPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

/** A VERSION answer. */
export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}
