/**
 * The two ways a command ends badly. The CLI prints the message as one line and
 * exits 1 (the work failed) or 2 (the command line was wrong).
 */
export class InstallError extends Error {
  override readonly name = "InstallError";
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A plain file name in a directory: no separators, no "." or "..", no leading dot (hidden names are ours). */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkPlainName(what: string, name: string): string {
  if (!PLAIN_NAME.test(name)) {
    throw new UsageError(`${what} ${JSON.stringify(name)} is not a plain file name (letters, digits, ".", "_", "-"; no "/")`);
  }
  return name;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
