/**
 * Whether this machine can build a SEA, in the manner of test/support/prereq.ts:
 * a visible skip reason on a laptop, a failure under CI=true (CI must run them).
 */
import { checkSeaSupport } from "@tscni/bundle";

export async function seaSkipReason(): Promise<string | undefined> {
  try {
    await checkSeaSupport(process.execPath);
    return undefined;
  } catch (e) {
    const reason = `needs a Node that can build a single executable application: ${(e as Error).message}`;
    if (process.env.CI === "true") throw new Error(`CI=true but a test prerequisite is missing: ${reason}`);
    console.warn(`[skip] ${reason}`);
    return reason;
  }
}
