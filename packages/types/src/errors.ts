/**
 * The CNI error object and its well-known codes. One error type with the wire
 * shape; every boundary in the SDK throws it with the code the spec assigns.
 */

export const ErrorCode = {
  /** Incompatible CNI version. */
  IncompatibleVersion: 1,
  /** Unsupported field in network configuration; the message names key and value. */
  UnsupportedField: 2,
  /** Container unknown or does not exist. */
  UnknownContainer: 3,
  /** Invalid necessary environment variables; the message names them. */
  InvalidEnvironment: 4,
  /** I/O failure, e.g. reading stdin. */
  IOFailure: 5,
  /** Failed to decode content (config JSON, version info, a result). */
  DecodingFailure: 6,
  /** Invalid network configuration. */
  InvalidNetworkConfig: 7,
  /** CNI_NETNS names the plugin's own network namespace (Go reference code, not in the spec). */
  InvalidNetNS: 8,
  /** Try again later: the condition is transient. */
  TryAgainLater: 11,
  /** STATUS: the plugin cannot service ADD requests. */
  PluginNotAvailable: 50,
  /** STATUS: not available, and existing containers may have limited connectivity. */
  PluginNotAvailableLimitedConnectivity: 51,
  /** Anything a handler threw that was not a CniError (Go reference code). */
  Internal: 999,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

/** The error object as it travels on stdout. */
export interface ErrorObject {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/**
 * An error with a CNI code. Throw it from a handler (or anywhere below one) and
 * skel prints it unchanged; any other thrown value becomes code 999.
 */
export class CniError extends Error {
  override readonly name = "CniError";
  readonly code: number;
  readonly msg: string;
  readonly details: string | undefined;

  constructor(code: number, msg: string, details?: string, options?: { cause?: unknown }) {
    super(details ? `${msg}; ${details}` : msg, options);
    this.code = code;
    this.msg = msg;
    this.details = details;
  }

  /** The wire object; `cniVersion` is the protocol version in use. */
  toObject(cniVersion?: string): ErrorObject {
    return {
      ...(cniVersion !== undefined && { cniVersion }),
      code: this.code,
      msg: this.msg,
      ...(this.details && { details: this.details }),
    };
  }

  /** Rebuilds an error from a wire object (e.g. a delegate's stdout). */
  static fromObject(obj: ErrorObject): CniError {
    return new CniError(obj.code, obj.msg, obj.details);
  }
}

export function isCniError(e: unknown): e is CniError {
  return e instanceof CniError;
}

/** Wraps any thrown value into a CniError, keeping a CniError as it is. */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof Error) return new CniError(ErrorCode.Internal, e.message || e.name, undefined, { cause: e });
  return new CniError(ErrorCode.Internal, String(e));
}
