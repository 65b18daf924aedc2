/**
 * tscni on every node of a Kubernetes cluster, as typed objects: an init
 * container installs the plugins and the network config into the node's
 * /opt/cni/bin and /etc/cni/net.d (binaries first, config last), and a main
 * container keeps them there (`tscni install --watch`) or, in daemon mode,
 * serves them (`tscni daemon`, socket under /run/tscni). `render.ts` turns
 * these into the YAML files beside this one; a test checks they are equal.
 */
import type { DaemonSet } from "kubernetes-types/apps/v1.js";
import type { ConfigMap, Container, PodSpec, SecurityContext, ServiceAccount, Toleration, Volume, VolumeMount } from "kubernetes-types/core/v1.js";

export interface Options {
  /** The image the Containerfile beside this file builds. */
  image: string;
  namespace: string;
  /** The plugins to install: the multi-call SEA provides each (no Node needed on the node). */
  plugins: readonly string[];
  /** `--watch` main container (default) or the daemon. */
  mode: "watch" | "daemon";
}

export const DEFAULTS: Options = {
  image: "ghcr.io/tscni/tscni:0.1.0",
  namespace: "kube-system",
  plugins: ["bridge", "host-local", "loopback", "portmap", "tuning", "bandwidth"],
  mode: "watch",
};

const NAME = "tscni";
const LABELS = { "app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "cni" };
/** Where the image keeps the built plugins (see Containerfile). */
const IMAGE_BIN = "/opt/tscni/bin";
const IMAGE_SEA = "/opt/tscni/sea/tscni-plugins";
const CONFIG_FILE = "/etc/tscni/10-tscni.conflist";
const SOCKET_DIR = "/run/tscni";

/** The node's directories, mounted at the same paths inside the containers. */
const hostDirs: { name: string; path: string; type: string; readOnly?: boolean; propagation?: string }[] = [
  { name: "cni-bin", path: "/opt/cni/bin", type: "DirectoryOrCreate" },
  { name: "cni-conf", path: "/etc/cni/net.d", type: "DirectoryOrCreate" },
];
const daemonDirs: typeof hostDirs = [
  { name: "tscni-run", path: SOCKET_DIR, type: "DirectoryOrCreate" },
  // host-local's reservations, and the namespaces runtimes create (seen as they appear: HostToContainer).
  { name: "cni-data", path: "/var/lib/cni", type: "DirectoryOrCreate" },
  { name: "netns", path: "/run/netns", type: "DirectoryOrCreate", propagation: "HostToContainer" },
  { name: "tscni-state", path: "/var/lib/tscni", type: "DirectoryOrCreate" },
];

function mounts(dirs: typeof hostDirs): VolumeMount[] {
  return dirs.map((d) => ({ name: d.name, mountPath: d.path, ...(d.propagation && { mountPropagation: d.propagation }) }));
}

/**
 * The installer writes files into two root-owned host directories it owns
 * (uid 0, mode 0755): the owner's write bit is enough, so it keeps no
 * capability at all, cannot gain one, and cannot write its own image.
 */
const installerSecurity: SecurityContext = {
  runAsUser: 0,
  runAsNonRoot: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * The daemon runs the plugins themselves: they enter network namespaces
 * (setns: SYS_ADMIN), make links, addresses, routes and nftables rules
 * (NET_ADMIN) and write sysctls under /proc/sys/net in the host's and the
 * containers' namespaces, which a runtime mounts read-only in every
 * unprivileged container. No capability set makes /proc/sys writable, so this
 * one container is privileged.
 */
const daemonSecurity: SecurityContext = { privileged: true, readOnlyRootFilesystem: true };

function installArgs(o: Options, extra: string[]): string[] {
  return [
    "install",
    "--bin-dir", "/opt/cni/bin",
    "--conf-dir", "/etc/cni/net.d",
    "--conf", CONFIG_FILE,
    "--plugins", o.plugins.join(","),
    "--form", "sea",
    "--from", IMAGE_BIN,
    "--sea", IMAGE_SEA,
    ...(o.mode === "daemon" ? ["--daemon-socket", `${SOCKET_DIR}/daemon.sock`] : []),
    ...extra,
  ];
}

const resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "256Mi" } };

function containers(o: Options): { init: Container; main: Container } {
  const configMount: VolumeMount = { name: "config", mountPath: "/etc/tscni", readOnly: true };
  const init: Container = {
    name: "install",
    image: o.image,
    args: installArgs(o, []),
    volumeMounts: [...mounts(hostDirs), configMount],
    securityContext: installerSecurity,
    resources,
  };
  const main: Container =
    o.mode === "watch"
      ? {
          name: "watch",
          image: o.image,
          args: installArgs(o, ["--watch", "--watch-interval", "30"]),
          volumeMounts: [...mounts(hostDirs), configMount],
          securityContext: installerSecurity,
          resources,
        }
      : {
          name: "daemon",
          image: o.image,
          args: [
            "daemon",
            "--socket", `${SOCKET_DIR}/daemon.sock`,
            ...o.plugins.flatMap((p) => ["--plugin", `${p}=${IMAGE_BIN}/${p}`]),
            "--del-spool", "/var/lib/tscni/del-spool",
          ],
          // Its plugins delegate to plugins of the bin dir; the config is the runtime's to read.
          volumeMounts: [...mounts(hostDirs.filter((d) => d.name === "cni-bin")), ...mounts(daemonDirs)],
          securityContext: daemonSecurity,
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
        };
  return { init, main };
}

function volumes(o: Options): Volume[] {
  const dirs = o.mode === "daemon" ? [...hostDirs, ...daemonDirs] : hostDirs;
  return [
    ...dirs.map((d) => ({ name: d.name, hostPath: { path: d.path, type: d.type } })),
    { name: "config", configMap: { name: `${NAME}-config` } },
  ];
}

/** Every taint: the network must come up on every node, including control-plane and not-ready ones. */
const tolerateEverything: Toleration[] = [{ operator: "Exists" }];

export function daemonSet(o: Options = DEFAULTS): DaemonSet {
  const { init, main } = containers(o);
  const pod: PodSpec = {
    hostNetwork: true,
    dnsPolicy: "ClusterFirstWithHostNet",
    priorityClassName: "system-node-critical",
    tolerations: tolerateEverything,
    // The pod needs no API access: no token is mounted, so none can reach the host.
    serviceAccountName: NAME,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // SIGTERM ends the watch (files stay) or drains the daemon's requests in flight.
    terminationGracePeriodSeconds: 30,
    nodeSelector: { "kubernetes.io/os": "linux" },
    initContainers: [init],
    containers: [main],
    volumes: volumes(o),
  };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: NAME, namespace: o.namespace, labels: LABELS },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": NAME } },
      // One node at a time: the install replaces files by rename, so pods keep starting meanwhile.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: { metadata: { labels: LABELS }, spec: pod },
    },
  };
}

export function serviceAccount(o: Options = DEFAULTS): ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: NAME, namespace: o.namespace, labels: LABELS },
    automountServiceAccountToken: false,
  };
}

/**
 * The network config the init container installs. One range for every node
 * suits a single node or node-local traffic; give each node its own range
 * (its podCIDR) for routed pod traffic between nodes.
 */
export function configMap(o: Options = DEFAULTS): ConfigMap {
  // 1.1.0: runtimes send STATUS only to networks of this version or later (see docs/guide/deploying.md).
  const conflist = {
    cniVersion: "1.1.0",
    name: "tscni",
    plugins: [
      { type: "bridge", bridge: "tscni0", isGateway: true, ipMasq: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.244.0.0/24" }]], routes: [{ dst: "0.0.0.0/0" }] } },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "tuning" },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${NAME}-config`, namespace: o.namespace, labels: LABELS },
    data: { "10-tscni.conflist": `${JSON.stringify(conflist, null, 2)}\n` },
  };
}
