export type { Compare, CompareResult, CompareTarget, EtcdClientOptions, EtcdTls, Operation, RangeOptions } from "./client.js";
export { EtcdClient } from "./client.js";
export type { KeyValue, RangeResult, StatusResult, TxnResult } from "./wire.js";
