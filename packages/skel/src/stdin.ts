/**
 * Turning the injected stdin into text. Every verb but VERSION needs all of it;
 * VERSION takes it only if it comes quickly, because a runtime may leave stdin
 * open, or a terminal, and VERSION must answer anyway.
 */
import { CniError, ErrorCode } from "@tscni/types";

/** A function form receives a signal that is aborted when dispatch stops waiting. */
export type StdinSource = Buffer | string | ((options?: { signal?: AbortSignal }) => Promise<Buffer>);

/** How long VERSION waits for a stdin that is not yet complete before answering without it. */
export const VERSION_STDIN_WAIT_MS = 100;

function decode(data: Buffer | string): string {
  return typeof data === "string" ? data : data.toString("utf8");
}

export async function readAll(source: StdinSource): Promise<string> {
  try {
    return decode(typeof source === "function" ? await source() : source);
  } catch (e) {
    throw new CniError(ErrorCode.IOFailure, `error reading from stdin: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Never fails and never waits longer than `waitMs`: "" when stdin is absent, slow or broken. */
export async function readOptional(source: StdinSource, waitMs = VERSION_STDIN_WAIT_MS): Promise<string> {
  if (typeof source !== "function") return decode(source);
  // Built only if the source asks for the signal: loading Node's AbortController shows in VERSION's CPU time, and a
  // stdin that is already complete (the usual case) is read without one.
  let controller: AbortController | undefined;
  const options = {
    get signal(): AbortSignal {
      return (controller ??= new AbortController()).signal;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(""), waitMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([source(options).then(decode, () => ""), timeout]);
  } finally {
    clearTimeout(timer);
    controller?.abort();
  }
}
