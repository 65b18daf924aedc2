/**
 * The IPAM step an interface plugin (bridge, ptp) takes in ADD, and the DNS it
 * reports. Here, next to delegation, because it is delegation: a plugin that
 * never delegates does not carry it, and skel (which must not exec) cannot.
 */
import { CniError, ErrorCode } from "@tscni/types";
import type { DNS, IPConfig, Result } from "@tscni/types";
import { delegateAdd, delegateDel, type DelegateConfig, type DelegateOptions } from "./delegate.js";

/**
 * Where the undo goes: skel's `UndoStack` fits. Taken by shape, because the
 * runtime side (this package) must not depend on skel.
 */
export interface UndoSteps {
  push(what: string, undo: () => unknown): void;
}

/**
 * Delegates ADD to the IPAM plugin `type` with the plugin's own config and
 * returns its result, which holds at least one address. The release (DEL to
 * the same delegate) is pushed before the call: a delegate that failed half-way
 * is released too (SPEC.md §4: when ADD fails after delegating, the plugin
 * calls DEL on the delegate), and so is one whose answer is refused here or later.
 */
export async function allocateAddresses(
  type: string,
  config: DelegateConfig,
  undo: UndoSteps,
  opts: DelegateOptions = {},
): Promise<Result & { ips: IPConfig[] }> {
  undo.push(`release addresses from ${type}`, () => delegateDel(type, config, opts));
  const result = await delegateAdd(type, config, opts);
  if (!result.ips?.length) throw new CniError(ErrorCode.Internal, `IPAM plugin ${type} returned no IP addresses`);
  return { ...result, ips: result.ips };
}

/** The config's `dns` when it names anything, else what the IPAM plugin returned (as Go's bridge and ptp choose). */
export function chooseDns(configured: DNS | undefined, fromIpam: DNS | undefined): DNS | undefined {
  return configured && Object.keys(configured).length > 0 ? configured : fromIpam;
}
