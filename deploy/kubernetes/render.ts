/**
 * The YAML files of this directory, rendered from manifests.ts:
 *   tscni.yaml         install + `--watch` (plugins exec'd by the runtime)
 *   tscni-daemon.yaml  install shims + `tscni daemon` (daemon mode)
 * `npm run render:kubernetes` writes them; the test compares them with this rendering.
 */
import { stringify } from "yaml";
import { configMap, daemonSet, DEFAULTS, type Options, serviceAccount } from "./manifests.js";

const HEADER = "# Generated from deploy/kubernetes/manifests.ts by `npm run render:kubernetes`; edit that file, not this one.\n";

function document(o: Options): string {
  const objects = [serviceAccount(o), configMap(o), daemonSet(o)];
  return HEADER + objects.map((obj) => stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

export function renderAll(): Record<string, string> {
  return {
    "tscni.yaml": document(DEFAULTS),
    "tscni-daemon.yaml": document({ ...DEFAULTS, mode: "daemon" }),
  };
}
