import { writeSync } from "node:fs";

/**
 * A CLI's stdout or stderr closed under it (`TOOL ... | head -0`, a closed
 * terminal): Node reports the failed write as an 'error' event on
 * process.stdout/stderr, which nothing handles, so it ends in a stack trace.
 * This makes it one line on stderr instead (when stderr still works) and keeps
 * the exit status meaningful: the tool's own status when it failed, else 1,
 * since the output it promised was lost. A closed stderr is ignored: there is
 * nowhere left to report anything, and the status still tells.
 *
 * Returns the tool's way to set its exit status (use it instead of
 * process.exitCode). Every CLI of the project follows this rule; the SDK's
 * CLIs take it from @tscni/types/cli-output. The bundler depends on no SDK
 * package, so it keeps this copy (create-tscni, with no dependencies, too).
 */
export function guardClosedOutput(tool: string): (status: number) => void {
  let lost = false;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (!process.exitCode) process.exitCode = 1;
    if (lost) return;
    lost = true;
    try {
      writeSync(2, `${tool}: cannot write to stdout (${e.code ?? e.message}): output lost\n`);
    } catch {
      // stderr is closed too
    }
  });
  process.stderr.on("error", () => {});
  return (status) => {
    process.exitCode = status !== 0 ? status : lost ? 1 : 0;
  };
}
