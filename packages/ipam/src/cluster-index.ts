// Cluster-wide reservations on etcd, a subpath of its own so host-local's bundle never carries the etcd client.
export type { AttachmentId, AttachmentRecord, ClusterAllocation, ClusterRequest, ClusterStoreOptions, Holder } from "./cluster-store.js";
export { ClusterStore, DEFAULT_CLUSTER_PREFIX } from "./cluster-store.js";
