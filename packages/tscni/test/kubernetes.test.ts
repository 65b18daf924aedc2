/**
 * deploy/kubernetes: the manifests type-check against kubernetes-types, the
 * committed YAML is exactly what render.ts makes of them, and the DaemonSet
 * has the properties the node needs (every taint tolerated, node-critical,
 * host network, no API credentials, least privilege per container).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { renderAll } from "../../../deploy/kubernetes/render.js";
import { repo } from "./helpers.js";

const dir = join(repo, "deploy", "kubernetes");

interface Doc {
  kind: string;
  automountServiceAccountToken?: boolean;
  spec?: { updateStrategy: { type: string }; template: { spec: Record<string, unknown> & PodLike } };
}
interface ContainerLike {
  name: string;
  args: string[];
  securityContext: { privileged?: boolean; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodLike {
  initContainers: ContainerLike[];
  containers: ContainerLike[];
  volumes: { name: string; hostPath?: { path: string } }[];
}

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => d.toJS() as Doc);
}

describe("deploy/kubernetes", () => {
  test("the manifests type-check against kubernetes-types", () => {
    // tsc exits non-zero and prints the errors on stdout when they do not.
    const out = execFileSync(join(repo, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    expect(out).toBe("");
  }, 120_000);

  test.each(Object.entries(renderAll()))("%s is the committed rendering of manifests.ts", (name, text) => {
    expect(readFileSync(join(dir, name), "utf8")).toBe(text);
  });

  test.each(["tscni.yaml", "tscni-daemon.yaml"])("%s: a node-critical DaemonSet on every node, with no API credentials", (file) => {
    const all = docs(file);
    expect(all.map((d) => d.kind)).toEqual(["ServiceAccount", "ConfigMap", "DaemonSet"]);
    expect(all[0]!.automountServiceAccountToken).toBe(false);
    const ds = all[2]!.spec!;
    expect(ds.updateStrategy.type).toBe("RollingUpdate");
    const pod = ds.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, priorityClassName: "system-node-critical", automountServiceAccountToken: false, tolerations: [{ operator: "Exists" }] });
    // The installer keeps no capability and writes only the two CNI directories of the host.
    const [install] = pod.initContainers;
    expect(install!.args.slice(0, 5)).toEqual(["install", "--bin-dir", "/opt/cni/bin", "--conf-dir", "/etc/cni/net.d"]);
    expect(install!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(install!.securityContext.privileged).toBeUndefined();
    const hostPaths = new Map(pod.volumes.filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]));
    expect(install!.volumeMounts.filter((m) => hostPaths.has(m.name)).map((m) => hostPaths.get(m.name))).toEqual(["/opt/cni/bin", "/etc/cni/net.d"]);
    const [main] = pod.containers;
    if (file === "tscni.yaml") {
      expect(main!.args).toEqual([...install!.args, "--watch", "--watch-interval", "30"]);
      expect(main!.securityContext).toEqual(install!.securityContext);
    } else {
      expect(install!.args).toContain("--daemon-socket");
      expect(main!.args[0]).toBe("daemon");
      expect(main!.volumeMounts.map((m) => m.mountPath)).toContain("/run/tscni");
    }
  });
});
