/**
 * One nftables table per plugin (`inet tscni-<plugin>`) in one network
 * namespace. Every rule in it carries its attachment's tag in its comment
 * (see tag.ts), so an attachment's rules are found, replaced, checked and
 * removed without touching anyone else's, and each change is one `nft -f -`
 * transaction: the kernel applies all of it or none.
 *
 * Chains are declared with `add chain` (idempotent for the same spec) and hold
 * only tagged rules: there is no shared rule a concurrent first ADD could add
 * twice.
 */
import { findTool, spawnRunner } from "@tscni/netns/exec";
import { CniError, ErrorCode } from "@tscni/types";
import { type AttachmentRef, attachmentHash, parseComment, ruleComment, ruleHash } from "./tag.js";

export interface ChainSpec {
  /** e.g. `type nat hook prerouting priority dstnat; policy accept;` — a constant of the plugin, never config text. */
  readonly declaration?: string;
}

export interface RuleSpec {
  readonly chain: string;
  /** The rule without its comment, built only from values checked in values.ts. */
  readonly text: string;
}

export interface ListedRule {
  readonly chain: string;
  readonly handle: number;
  readonly comment: string | undefined;
}

export interface NftTableOptions {
  /** The plugin's name: the table is `inet tscni-<plugin>`. */
  readonly plugin: string;
  readonly chains: Readonly<Record<string, ChainSpec>>;
  /** The namespace's path (e.g. /run/netns/x); undefined: the one this process runs in. */
  readonly netns?: string | undefined;
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** What a rule body may contain: the words values.ts produces, and nothing that could end a statement or a string. */
const RULE_TEXT = /^[A-Za-z0-9 .:/[\]!=<>_-]+$/;
const ATTEMPTS = 5;

export class NftTable {
  readonly name: string;
  readonly #chains: Readonly<Record<string, ChainSpec>>;
  readonly #netns: string | undefined;

  constructor(options: NftTableOptions) {
    if (!NAME.test(options.plugin)) throw new TypeError(`nft table for plugin ${JSON.stringify(options.plugin)}: use a-z, 0-9, -`);
    for (const chain of Object.keys(options.chains)) if (!NAME.test(chain)) throw new TypeError(`nft chain name ${JSON.stringify(chain)}`);
    this.name = `tscni-${options.plugin}`;
    this.#chains = options.chains;
    this.#netns = options.netns;
  }

  toString(): string {
    return `nft table inet ${this.name}${this.#netns ? ` in netns ${this.#netns}` : ""}`;
  }

  /** Every rule of the table (none when the table does not exist yet). */
  async list(): Promise<ListedRule[]> {
    const r = await this.#nft(["-j", "-a", "list", "table", "inet", this.name]);
    if (r.status !== 0) {
      if (/No such file or directory/.test(r.stderr)) return [];
      throw this.#failure("list", r.stderr);
    }
    return parseListing(r.stdout, this.name);
  }

  /** Replaces the attachment's rules with `rules`, atomically. */
  async apply(attachment: AttachmentRef, rules: readonly RuleSpec[]): Promise<void> {
    for (const rule of rules) this.#checkRule(rule);
    if (/["\\\p{Cc}]/u.test(`${attachment.containerId}${attachment.ifName}`)) {
      throw new CniError(ErrorCode.InvalidEnvironment, "a container ID or interface name with a quote, backslash or control character cannot tag an nft rule");
    }
    await this.#transact((listed) => [
      ...this.#declarations(),
      ...this.#deletions(listed, attachmentHash(attachment)),
      ...rules.map((rule) => `add rule inet ${this.name} ${rule.chain} ${rule.text} comment "${ruleComment(attachment, rule.text)}"`),
    ]);
  }

  /** Removes the attachment's rules; returns how many there were. */
  async remove(attachment: AttachmentRef): Promise<number> {
    let removed = 0;
    await this.#transact((listed) => {
      const lines = this.#deletions(listed, attachmentHash(attachment));
      removed = lines.length;
      return lines;
    });
    return removed;
  }

  /** Removes the rules of every attachment not in `valid`; returns how many rules went. */
  async collect(valid: readonly AttachmentRef[]): Promise<number> {
    const keep = new Set(valid.map(attachmentHash));
    let removed = 0;
    await this.#transact((listed) => {
      const stale = listed.filter((r) => {
        const tag = parseComment(r.comment);
        return tag !== undefined && !keep.has(tag.attachment);
      });
      removed = stale.length;
      return stale.map((r) => `delete rule inet ${this.name} ${r.chain} handle ${r.handle}`);
    });
    return removed;
  }

  /** What differs between the attachment's rules in the kernel and `rules`: missing ones, and ones that should not be there. */
  async verify(attachment: AttachmentRef, rules: readonly RuleSpec[]): Promise<string[]> {
    const mine = attachmentHash(attachment);
    const present = new Map<string, ListedRule>();
    for (const r of await this.list()) {
      const tag = parseComment(r.comment);
      if (tag?.attachment === mine) present.set(`${r.chain} ${tag.rule}`, r);
    }
    const problems: string[] = [];
    for (const rule of rules) {
      const key = `${rule.chain} ${ruleHash(rule.text)}`;
      if (!present.delete(key)) problems.push(`missing in chain ${rule.chain}: ${rule.text}`);
    }
    for (const extra of present.values()) problems.push(`unexpected rule in chain ${extra.chain} (handle ${extra.handle}): ${extra.comment ?? ""}`);
    return problems;
  }

  #declarations(): string[] {
    return [
      `add table inet ${this.name}`,
      ...Object.entries(this.#chains).map(([chain, spec]) =>
        spec.declaration ? `add chain inet ${this.name} ${chain} { ${spec.declaration} }` : `add chain inet ${this.name} ${chain}`,
      ),
    ];
  }

  #deletions(listed: readonly ListedRule[], attachment: string): string[] {
    return listed
      .filter((r) => parseComment(r.comment)?.attachment === attachment)
      .map((r) => `delete rule inet ${this.name} ${r.chain} handle ${r.handle}`);
  }

  #checkRule(rule: RuleSpec): void {
    if (!Object.hasOwn(this.#chains, rule.chain)) throw new TypeError(`rule for undeclared chain ${rule.chain} of ${this}`);
    if (!RULE_TEXT.test(rule.text)) throw new CniError(ErrorCode.Internal, `refusing an nft rule with unexpected characters`, rule.text);
  }

  /**
   * Lists, builds the script from what is there, and applies it in one
   * transaction. A concurrent change to the same rules (another exec of the
   * plugin) makes a handle vanish between the listing and the transaction;
   * then list again and retry.
   */
  async #transact(build: (listed: readonly ListedRule[]) => string[]): Promise<void> {
    let last = "";
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const lines = build(await this.list());
      if (lines.length === 0) return;
      const r = await this.#nft(["-f", "-"], `${lines.join("\n")}\n`);
      if (r.status === 0) return;
      last = r.stderr.trim();
      if (!/No such file or directory|Could not process rule/.test(last)) break;
    }
    throw this.#failure("update", last);
  }

  #failure(what: string, stderr: string): CniError {
    return new CniError(ErrorCode.Internal, `cannot ${what} ${this}`, stderr.trim().split("\n").slice(0, 4).join(" | "));
  }

  #nft(args: string[], stdin?: string) {
    const nft = findTool("nft");
    const argv = this.#netns === undefined ? [nft, ...args] : [findTool("nsenter"), `--net=${this.#netns}`, "--", nft, ...args];
    return spawnRunner(argv, stdin === undefined ? {} : { stdin });
  }
}

/** `nft -j list` output, checked: a boundary like any other tool's answer. */
function parseListing(json: string, table: string): ListedRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new CniError(ErrorCode.Internal, `nft -j list table inet ${table} printed no JSON`, json.slice(0, 200));
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) throw new CniError(ErrorCode.Internal, `nft -j list table inet ${table}: no nftables list`, json.slice(0, 200));
  const rules: ListedRule[] = [];
  for (const item of items) {
    const rule = (item as { rule?: { chain?: unknown; handle?: unknown; comment?: unknown } }).rule;
    if (!rule) continue;
    if (typeof rule.chain !== "string" || typeof rule.handle !== "number") continue;
    rules.push({ chain: rule.chain, handle: rule.handle, comment: typeof rule.comment === "string" ? rule.comment : undefined });
  }
  return rules;
}
