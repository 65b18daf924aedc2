/**
 * zod/mini schemas for everything that crosses a process boundary. Each is
 * built on first use and memoised: a plugin exec that never parses a result
 * never pays for building the result schemas.
 */
import * as z from "zod/mini";
import type {
  Attachment,

  NetConf,
  NetConfList,
  Result,
  Result020,
  Result040,
  VersionInfo,
} from "./model.js";
import { CniError, ErrorCode } from "./errors.js";
import type { ErrorObject } from "./errors.js";

/** Builds a value once, on first call. */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

const cidr = lazy(() => z.union([z.cidrv4(), z.cidrv6()]));
const ip = lazy(() => z.union([z.ipv4(), z.ipv6()]));
/** Go treats an empty gateway as unset; accept it on input, the converters drop it. */
const optionalGateway = lazy(() => z.optional(z.union([ip(), z.literal("")])));
const uint = lazy(() => z.int().check(z.nonnegative()));

export const dnsSchema = lazy(() =>
  z.object({
    nameservers: z.optional(z.nullable(z.array(z.string()))),
    domain: z.optional(z.string()),
    search: z.optional(z.nullable(z.array(z.string()))),
    options: z.optional(z.nullable(z.array(z.string()))),
  }),
);

export const routeSchema = lazy(() =>
  z.object({
    dst: cidr(),
    gw: optionalGateway(),
    mtu: z.optional(uint()),
    advmss: z.optional(uint()),
    priority: z.optional(uint()),
    table: z.optional(uint()),
    scope: z.optional(uint()),
  }),
);

const interfaceSchema = lazy(() =>
  z.object({
    name: z.string(),
    mac: z.optional(z.string()),
    mtu: z.optional(uint()),
    sandbox: z.optional(z.string()),
    socketPath: z.optional(z.string()),
    pciID: z.optional(z.string()),
  }),
);

const ipConfigSchema = lazy(() =>
  z.object({
    interface: z.optional(z.int()),
    address: cidr(),
    gateway: optionalGateway(),
  }),
);

const ipConfig040Schema = lazy(() =>
  z.object({
    // Go prints `version` always; a missing one is filled from the address family when parsing.
    version: z.optional(z.enum(["4", "6", ""])),
    interface: z.optional(z.int()),
    address: cidr(),
    gateway: optionalGateway(),
  }),
);

const ipConfig020Schema = lazy(() =>
  z.object({
    ip: cidr(),
    gateway: optionalGateway(),
    routes: z.optional(z.nullable(z.array(z.object({ dst: cidr(), gw: optionalGateway() })))),
  }),
);

function versionIn(versions: readonly string[]) {
  return z.enum(versions as [string, ...string[]]);
}

const result100Schema = lazy(() =>
  z.object({
    cniVersion: versionIn(["1.0.0", "1.1.0"]),
    interfaces: z.optional(z.nullable(z.array(interfaceSchema()))),
    ips: z.optional(z.nullable(z.array(ipConfigSchema()))),
    routes: z.optional(z.nullable(z.array(routeSchema()))),
    dns: z.optional(z.nullable(dnsSchema())),
  }),
);

const result040Schema = lazy(() =>
  z.object({
    cniVersion: versionIn(["0.3.0", "0.3.1", "0.4.0"]),
    interfaces: z.optional(
      z.nullable(z.array(z.object({ name: z.string(), mac: z.optional(z.string()), sandbox: z.optional(z.string()) }))),
    ),
    ips: z.optional(z.nullable(z.array(ipConfig040Schema()))),
    routes: z.optional(z.nullable(z.array(routeSchema()))),
    dns: z.optional(z.nullable(dnsSchema())),
  }),
);

const result020Schema = lazy(() =>
  z.object({
    cniVersion: versionIn(["0.1.0", "0.2.0"]),
    ip4: z.optional(z.nullable(ipConfig020Schema())),
    ip6: z.optional(z.nullable(ipConfig020Schema())),
    dns: z.optional(z.nullable(dnsSchema())),
  }),
);

/** Which wire shape a spec version's results have. */
export type ResultShape = "0.2.0" | "0.4.0" | "1.1.0";

/** The result shape of a spec version, or undefined for a version the SDK does not know. */
export function resultShapeOf(version: string): ResultShape | undefined {
  switch (version) {
    case "0.1.0":
    case "0.2.0":
      return "0.2.0";
    case "0.3.0":
    case "0.3.1":
    case "0.4.0":
      return "0.4.0";
    case "1.0.0":
    case "1.1.0":
      return "1.1.0";
    default:
      return undefined;
  }
}

/**
 * The schema of a result in `version`'s wire shape. Unknown keys are dropped
 * (Go ignores them); `cniVersion` must be one of the shape's versions.
 * Throws CniError 1 for a version the SDK does not know.
 */
export function resultSchemaFor(version: string): z.ZodMiniType<Result | Result040 | Result020> {
  switch (resultShapeOf(version)) {
    case "0.2.0":
      return result020Schema() as z.ZodMiniType<Result020>;
    case "0.4.0":
      return result040Schema() as z.ZodMiniType<Result040>;
    case "1.1.0":
      return result100Schema() as z.ZodMiniType<Result>;
    default:
      throw new CniError(ErrorCode.IncompatibleVersion, `unsupported CNI result version ${JSON.stringify(version)}`);
  }
}

export const attachmentSchema = lazy(
  (): z.ZodMiniType<Attachment> => z.object({ containerID: z.string(), ifname: z.string() }),
);

/** A plugin's network configuration; keys the SDK does not know pass through for the plugin's own schema. */
export const netConfSchema = lazy(
  (): z.ZodMiniType<NetConf> =>
    z.looseObject({
      cniVersion: z.pipe(
        z.optional(z.string()),
        z.transform((v) => v || "0.1.0"),
      ),
      name: z.string(),
      type: z.string(),
      capabilities: z.optional(z.record(z.string(), z.boolean())),
      ipam: z.optional(z.looseObject({ type: z.optional(z.string()) })),
      dns: z.optional(dnsSchema()),
      args: z.optional(z.record(z.string(), z.unknown())),
      runtimeConfig: z.optional(z.record(z.string(), z.unknown())),
      prevResult: z.optional(z.record(z.string(), z.unknown())),
      "cni.dev/valid-attachments": z.optional(z.nullable(z.array(attachmentSchema()))),
      "cni.dev/attachments": z.optional(z.nullable(z.array(attachmentSchema()))),
    }) as unknown as z.ZodMiniType<NetConf>,
);

/** libcni accepts the list flags as booleans or as "true"/"false" in any case. */
const flag = lazy(() =>
  z.pipe(
    z.union([z.boolean(), z.stringbool({ truthy: ["true"], falsy: ["false"], case: "insensitive" })]),
    z.transform((v: boolean) => v),
  ),
);

export const netConfListSchema = lazy(
  (): z.ZodMiniType<NetConfList> =>
    z.looseObject({
      cniVersion: z.optional(z.string()),
      cniVersions: z.optional(z.array(z.string())),
      name: z.string(),
      disableCheck: z.optional(flag()),
      disableGC: z.optional(flag()),
      loadOnlyInlinedPlugins: z.optional(flag()),
      plugins: z.array(
        z.looseObject({
          type: z.string().check(z.minLength(1)),
          capabilities: z.optional(z.record(z.string(), z.boolean())),
        }),
      ),
    }) as unknown as z.ZodMiniType<NetConfList>,
);

/** An error object as a plugin prints it; `msg` may be missing in the wild and reads as "". */
export const errorObjectSchema = lazy(
  (): z.ZodMiniType<ErrorObject> =>
    z.object({
      cniVersion: z.optional(z.string()),
      code: uint(),
      msg: z._default(z.string(), ""),
      details: z.optional(z.string()),
    }) as unknown as z.ZodMiniType<ErrorObject>,
);

export const versionInfoSchema = lazy(
  (): z.ZodMiniType<VersionInfo> =>
    z.object({ cniVersion: z.string(), supportedVersions: z.array(z.string()) }),
);

