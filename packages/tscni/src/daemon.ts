import { InstallError, messageOf } from "./errors.js";

type DaemonModule = typeof import("@tscni/daemon");

/**
 * @tscni/daemon, loaded only by the commands that need it: `tscni install`
 * never parses the daemon's code.
 */
export async function loadDaemon(): Promise<DaemonModule> {
  try {
    return await import("@tscni/daemon");
  } catch (e) {
    throw new InstallError(`daemon mode not available in this build: ${messageOf(e)}`);
  }
}
