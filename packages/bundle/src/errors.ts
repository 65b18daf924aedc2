/**
 * Why a build or an install refused to produce a file. `code` is stable (scripts
 * branch on it); the message names the path or value and says what to do.
 */
export type BundleErrorCode =
  | "ENTRY_NOT_FOUND"
  | "BUILD_FAILED"
  | "NO_PLUGIN_MAIN"
  | "BAD_OPTION"
  | "DEST_UNWRITABLE"
  | "SEA_UNSUPPORTED"
  | "SEA_FAILED"
  | "VERSION_REFUSED"
  | "DEST_IN_THE_WAY";

export class BundleError extends Error {
  override readonly name = "BundleError";
  readonly code: BundleErrorCode;

  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function errnoOf(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
}
