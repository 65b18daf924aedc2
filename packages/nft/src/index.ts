export type { ChainSpec, ListedRule, NftTableOptions, RuleSpec } from "./table.js";
export { NftTable } from "./table.js";
export type { AttachmentRef, ParsedComment } from "./tag.js";
export { attachmentHash, parseComment } from "./tag.js";
export type { Family, NftAddress, Protocol } from "./values.js";
export { ipKeyword, natTarget, nftAddress, nftIfName, nftPort, nftPrefix, nftProtocol } from "./values.js";
