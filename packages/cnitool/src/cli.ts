import { guardClosedOutput } from "@tscni/types/cli-output";
import { run } from "./main.js";

const exitWith = guardClosedOutput("cnitool");

// Ctrl-C or a supervisor's SIGTERM kills the plugin being run rather than leaving it behind.
const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => controller.abort(new Error(`cnitool received ${sig}`)));

run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  signal: controller.signal,
}).then(exitWith, (e: unknown) => {
  process.stderr.write(`cnitool: ${e instanceof Error ? e.message : String(e)}\n`);
  exitWith(1);
});
