/**
 * The entry point for runtimes (Go libcni's CNIConfig): plugin directories,
 * cache directory and defaults, with one method per operation. Each
 * operation lives in its own file; this class only binds them to a context.
 */
import type { Env } from "@tscni/invoke";
import type { AnyResult, VersionInfo } from "@tscni/types";
import { addNetworkList } from "./add.js";
import { DEFAULT_CACHE_DIR, listCachedAttachments, readCacheEntry, readCachedResult, type CachedAttachment } from "./cache.js";
import { checkNetworkList } from "./check.js";
import type { NetworkConfigList, PluginConfig } from "./conf.js";
import type { CallOptions, Context } from "./context.js";
import { delNetworkList } from "./del.js";
import { gcNetworkList, type GCArgs } from "./gc.js";
import { validateAttachment } from "./names.js";
import type { RuntimeConf } from "./runtime-conf.js";
import { getStatusNetworkList } from "./status.js";
import { pluginVersionInfo, validateNetworkList } from "./validate.js";

export interface CniRuntimeOptions {
  /** Directories searched for plugin executables, in order (CNI_PATH). */
  path: readonly string[];
  /** Result cache directory (default /var/lib/cni, shared with Go runtimes). */
  cacheDir?: string;
  /** Base environment of every plugin (default process.env); CNI_* variables are set over it. */
  env?: Env;
  /** Kills a plugin running longer than this. No timeout by default, as in Go libcni: prefer a signal per call. */
  timeoutMs?: number;
  /** Receives each successful plugin's stderr (default: written to this process's stderr, as Go does). */
  onStderr?: (text: string, pluginType: string) => void;
}

/** A single plugin config run as a one-plugin list under its own name and version; the cache keeps its own bytes. */
function single(net: PluginConfig): NetworkConfigList {
  return {
    name: net.network.name ?? "",
    cniVersion: net.network.cniVersion ?? "",
    disableCheck: false,
    disableGC: false,
    loadOnlyInlinedPlugins: false,
    plugins: [net],
    bytes: net.bytes,
  };
}

export class CniRuntime {
  readonly #ctx: Context;

  constructor(opts: CniRuntimeOptions) {
    this.#ctx = {
      path: [...opts.path],
      cacheDir: opts.cacheDir ?? DEFAULT_CACHE_DIR,
      env: opts.env ?? process.env,
      timeoutMs: opts.timeoutMs,
      onStderr: opts.onStderr ?? ((text) => void process.stderr.write(text)),
    };
  }

  get cacheDir(): string {
    return this.#ctx.cacheDir;
  }

  addNetworkList(list: NetworkConfigList, rt: RuntimeConf, opts?: CallOptions): Promise<AnyResult> {
    return addNetworkList(this.#ctx, list, rt, opts);
  }
  checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, opts?: CallOptions): Promise<void> {
    return checkNetworkList(this.#ctx, list, rt, opts);
  }
  delNetworkList(list: NetworkConfigList, rt: RuntimeConf, opts?: CallOptions): Promise<void> {
    return delNetworkList(this.#ctx, list, rt, opts);
  }
  gcNetworkList(list: NetworkConfigList, args?: GCArgs, opts?: CallOptions): Promise<void> {
    return gcNetworkList(this.#ctx, list, args, opts);
  }
  getStatusNetworkList(list: NetworkConfigList, opts?: CallOptions): Promise<void> {
    return getStatusNetworkList(this.#ctx, list, opts);
  }

  addNetwork(net: PluginConfig, rt: RuntimeConf, opts?: CallOptions): Promise<AnyResult> {
    return addNetworkList(this.#ctx, single(net), rt, opts);
  }
  checkNetwork(net: PluginConfig, rt: RuntimeConf, opts?: CallOptions): Promise<void> {
    return checkNetworkList(this.#ctx, single(net), rt, opts);
  }
  delNetwork(net: PluginConfig, rt: RuntimeConf, opts?: CallOptions): Promise<void> {
    return delNetworkList(this.#ctx, single(net), rt, opts);
  }
  gcNetwork(net: PluginConfig, args?: GCArgs, opts?: CallOptions): Promise<void> {
    return gcNetworkList(this.#ctx, single(net), args, opts);
  }
  getStatusNetwork(net: PluginConfig, opts?: CallOptions): Promise<void> {
    return getStatusNetworkList(this.#ctx, single(net), opts);
  }

  /** The cached ADD result of an attachment in the list's version; undefined when none is cached. */
  getNetworkListCachedResult(list: NetworkConfigList, rt: RuntimeConf): Promise<AnyResult | undefined> {
    return readCachedResult(this.#ctx.cacheDir, list.name, list.cniVersion, rt);
  }

  /** The config an attachment was added with, and the runtime conf with its cached args and capability args. */
  async getNetworkListCachedConfig(list: NetworkConfigList, rt: RuntimeConf): Promise<{ config: string; rt: RuntimeConf } | undefined> {
    validateAttachment(list.name, rt.containerId, rt.ifName);
    const entry = await readCacheEntry(this.#ctx.cacheDir, list.name, rt);
    if (!entry) return undefined;
    const { args: _args, capabilityArgs: _caps, ...rest } = rt;
    return {
      config: entry.config,
      rt: { ...rest, ...(entry.cniArgs && { args: entry.cniArgs }), ...(entry.capabilityArgs && { capabilityArgs: entry.capabilityArgs }) },
    };
  }

  /** Every cached attachment (optionally of one container), as GC sees them. */
  getCachedAttachments(containerId?: string): Promise<CachedAttachment[]> {
    return listCachedAttachments(this.#ctx.cacheDir, containerId);
  }

  validateNetworkList(list: NetworkConfigList, opts?: CallOptions): Promise<string[]> {
    return validateNetworkList(this.#ctx, list, opts);
  }
  validateNetwork(net: PluginConfig, opts?: CallOptions): Promise<string[]> {
    return validateNetworkList(this.#ctx, single(net), opts);
  }

  /** Finds a plugin by type and asks it which versions it supports. */
  getVersionInfo(pluginType: string, opts?: CallOptions): Promise<VersionInfo> {
    return pluginVersionInfo(this.#ctx, pluginType, opts);
  }
}
