export type { StartEtcdOptions, TestEtcdCluster, TestEtcdMember } from "./cluster.js";
export { makeTestCertificates, startEtcdCluster } from "./cluster.js";
