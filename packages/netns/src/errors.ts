import { CniError, ErrorCode } from "@tscni/types";

/**
 * What went wrong, as a plugin needs to branch on it. `code` follows from the
 * kind (see README "Error codes"): a namespace that does not exist means the
 * container is gone (3), a path that is not a namespace is a bad CNI_NETNS (4),
 * a busy resource is transient (11); the rest have no spec code and are 999.
 */
export type NetnsErrorKind =
  | "netns-missing"
  | "not-a-netns"
  | "exists"
  | "not-found"
  | "busy"
  | "permission"
  | "invalid"
  | "tool-missing"
  | "timeout"
  | "failed";

const CODE_OF: Record<NetnsErrorKind, number> = {
  "netns-missing": ErrorCode.UnknownContainer,
  "not-a-netns": ErrorCode.InvalidEnvironment,
  busy: ErrorCode.TryAgainLater,
  timeout: ErrorCode.TryAgainLater,
  exists: ErrorCode.Internal,
  "not-found": ErrorCode.Internal,
  permission: ErrorCode.Internal,
  invalid: ErrorCode.Internal,
  "tool-missing": ErrorCode.Internal,
  failed: ErrorCode.Internal,
};

export class NetnsError extends CniError {
  readonly kind: NetnsErrorKind;

  constructor(kind: NetnsErrorKind, msg: string, details?: string, options?: { cause?: unknown }) {
    super(CODE_OF[kind], msg, details, options);
    this.kind = kind;
  }
}

export function isNetnsError(e: unknown, kind?: NetnsErrorKind): e is NetnsError {
  return e instanceof NetnsError && (kind === undefined || e.kind === kind);
}

/** Ordered: the first pattern that matches iproute2's or nsenter's stderr decides the kind. */
const STDERR_KINDS: ReadonlyArray<readonly [RegExp, NetnsErrorKind]> = [
  [/nsenter: cannot open .*No such file or directory/u, "netns-missing"],
  [/Invalid "netns" value/u, "netns-missing"],
  [/reassociate to namespace 'ns\/net' failed/u, "not-a-netns"],
  [/File exists|already assigned|already exists/u, "exists"],
  [/Cannot find device|does not exist|No such device|Address not found|No such process|FIB table does not exist/u, "not-found"],
  [/Device or resource busy|Resource busy|Try again|Resource temporarily unavailable/u, "busy"],
  [/Operation not permitted|Permission denied/u, "permission"],
  [/Invalid argument|not supported|is wrong|invalid|less than|greater than|Numerical result out of range/iu, "invalid"],
];

export function kindFromStderr(stderr: string): NetnsErrorKind {
  for (const [pattern, kind] of STDERR_KINDS) if (pattern.test(stderr)) return kind;
  return "failed";
}
