import { isAbsolute } from "node:path";
import { DEFAULT_DATA_DIR, DiskStore, formatIp } from "@tscni/ipam";
import type { InvalidConfigDelArgs } from "@tscni/skel";

/**
 * DEL for a config that fails validation (skel's opt-in): the reservation is
 * found by container ID and interface in the network's directory, which needs
 * only the name (checked by skel) and the raw `ipam.dataDir`. A data directory
 * that is itself invalid cannot be trusted to point at the right place: then
 * the config's error stands.
 */
export async function delWithInvalidConfig(args: InvalidConfigDelArgs): Promise<void> {
  const ipam = args.config.ipam;
  const raw = ipam !== null && typeof ipam === "object" && !Array.isArray(ipam) ? (ipam as Record<string, unknown>) : {};
  const dataDir = raw.dataDir === undefined || raw.dataDir === "" ? DEFAULT_DATA_DIR : raw.dataDir;
  if (typeof dataDir !== "string" || !isAbsolute(dataDir)) throw args.configError;
  const scope = raw.reservationScope === "network" ? "network" : "dataDir";
  const store = new DiskStore({ dataDir, network: String(args.config.name), scope });
  const released = await store.withLock((s) => s.releaseByOwner({ containerId: args.containerId, ifName: args.ifName }));
  args.log.warn(`invalid config; released ${released.length === 0 ? "nothing" : released.map(formatIp).join(", ")}`);
}
