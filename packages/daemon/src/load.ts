/**
 * Loading a plugin bundle (dist/bin/<name>, a CommonJS file that calls
 * pluginMain at load) without running it: skel's pluginMain sees the capture
 * hook and hands over the plugin and the bundle's own dispatch. The daemon then
 * runs exactly the dispatch an exec of that bundle would run.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { AnyPlugin } from "@tscni/skel";
import { PLUGIN_CAPTURE_HOOK } from "@tscni/skel/internal";
import type { PluginCapture } from "@tscni/skel/internal";

export interface LoadedPlugin {
  name: string;
  file: string;
  plugin: AnyPlugin;
  dispatch: Parameters<PluginCapture>[0]["dispatch"];
}

export class PluginLoadError extends Error {}

export function loadPluginBundle(name: string, file: string): LoadedPlugin {
  const path = resolve(file);
  const key = Symbol.for(PLUGIN_CAPTURE_HOOK);
  const global = globalThis as Record<symbol, unknown>;
  let captured: Parameters<PluginCapture>[0] | undefined;
  const hook: PluginCapture = (c) => {
    captured ??= c;
  };
  global[key] = hook;
  try {
    // A fresh load per file: the bundle's modules are its own, as in a separate exec.
    createRequire(path)(path);
  } catch (e) {
    throw new PluginLoadError(`cannot load plugin ${name} from ${path}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    delete global[key];
  }
  if (!captured) {
    throw new PluginLoadError(`plugin ${name} (${path}) did not call pluginMain while loading: is it a tscni plugin bundle?`);
  }
  return { name, file: path, plugin: captured.plugin, dispatch: captured.dispatch };
}

/** The versions the bundle's VERSION answers (what the shim bakes in): asked through its own dispatch. */
export async function supportedVersionsOf(loaded: LoadedPlugin): Promise<string[]> {
  let out = "";
  await loaded.dispatch(loaded.plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: "", stdout: (c) => (out += c), stderr: () => {} });
  try {
    const list = (JSON.parse(out) as { supportedVersions?: unknown }).supportedVersions;
    if (Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === "string" && /^[0-9][0-9.]*$/.test(x))) return list as string[];
  } catch {
    // reported below
  }
  throw new PluginLoadError(`plugin ${loaded.name} answered VERSION with an unreadable document: ${JSON.stringify(out.slice(0, 200))}`);
}
