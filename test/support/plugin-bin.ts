/**
 * Where the example plugins under test live. By default dist/bin, the script
 * bundles `npm run build` writes. The vitest projects "sea" and "daemon"
 * (vitest.config.ts) run the same example suites against the other forms of
 * the same build: the SEA multi-call binary's links (delegation to a plugin of
 * the same binary runs in process) and the daemon's shims. The tools (cnitool,
 * cni-conformance) always come from dist/bin.
 */
import { join, resolve } from "node:path";

export type PluginForm = "bundle" | "sea" | "daemon";

const repo = resolve(import.meta.dirname, "../..");
export const TOOLS_BIN = join(repo, "dist", "bin");
export const PLUGIN_FORM: PluginForm = (["sea", "daemon"] as const).find((f) => f === process.env.TSCNI_TEST_FORM) ?? "bundle";
export const PLUGIN_BIN = process.env.TSCNI_TEST_PLUGIN_BIN ? resolve(process.env.TSCNI_TEST_PLUGIN_BIN) : TOOLS_BIN;
export const CNITOOL = join(TOOLS_BIN, "cnitool");

/** The example plugin `name` in the form under test. */
export function pluginPath(name: string): string {
  return join(PLUGIN_BIN, name);
}
