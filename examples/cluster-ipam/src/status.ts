/**
 * STATUS: ADD can be served only through an etcd member that is part of a
 * quorum; otherwise code 50, with what each endpoint answered.
 */
import { CniError, ErrorCode, isCniError } from "@tscni/types";
import { type ClusterIpamArgs, withStore } from "./config.js";

export async function status(args: ClusterIpamArgs): Promise<void> {
  try {
    await withStore(args, (store) => store.probe());
  } catch (e) {
    if (isCniError(e) && e.code === ErrorCode.InvalidNetworkConfig) throw e;
    const reason = isCniError(e) ? `${e.msg}${e.details ? `: ${e.details}` : ""}` : (e as Error).message;
    throw new CniError(ErrorCode.PluginNotAvailable, `no etcd endpoint of network ${args.config.name} answers with a quorum`, reason);
  }
}
