import { expect } from "vitest";
import { CniError } from "@tscni/types";

/**
 * The CniError that `fn` throws, for a test to assert its code, msg and
 * details. Anything else thrown fails the instanceof assertion; nothing
 * thrown at all fails the test rather than passing silently.
 */
export function cniError(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error("expected a CniError, nothing was thrown");
}

/** As cniError, for a promise that must reject. */
export async function cniRejection(promise: Promise<unknown>): Promise<CniError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error("expected a CniError, the promise resolved");
}
