/**
 * The CNI_* environment as a table walked by one loop, in the order and with
 * the wording of the Go reference (docs/spec-notes.md §2.2), except that CNI_PATH is
 * required for GC only (docs/spec-notes.md §8).
 */
import { CniError, ErrorCode, parseCniArgs } from "@tscni/types";
import type { Verb } from "@tscni/types";
import { validateContainerId, validateInterfaceName } from "@tscni/types/names";
import type { AnyPlugin } from "./plugin.js";

/** The CNI_* variables, read once, every one a string ("" when unset). */
export interface EnvValues {
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  netnsOverride: string;
}

interface EnvRule {
  variable: string;
  field: keyof EnvValues;
  /** Verbs for which an unset or empty value is an error; "always" also covers a verb nobody knows. */
  requiredFor: readonly Verb[] | "always";
  /** Runs only where the variable is required and set, as in Go. Throws CniError. */
  validate?: (value: string) => void;
}

/** Container IDs and network names share one character set (spec 1.0.0); the name rules live in @tscni/types. */
export { isValidCniName as isValidIdentifier } from "@tscni/types/names";

const ATTACHMENT_VERBS: readonly Verb[] = ["ADD", "CHECK", "DEL"];

const ENV_TABLE: readonly EnvRule[] = [
  { variable: "CNI_COMMAND", field: "command", requiredFor: "always" },
  { variable: "CNI_CONTAINERID", field: "containerId", requiredFor: ATTACHMENT_VERBS, validate: validateContainerId },
  // DEL may come without a namespace: it must clean up what it can (spec 0.4.0).
  { variable: "CNI_NETNS", field: "netns", requiredFor: ["ADD", "CHECK"] },
  { variable: "CNI_IFNAME", field: "ifName", requiredFor: ATTACHMENT_VERBS, validate: validateInterfaceName },
  { variable: "CNI_ARGS", field: "args", requiredFor: [] },
  { variable: "CNI_PATH", field: "path", requiredFor: ["GC"] },
  { variable: "CNI_NETNS_OVERRIDE", field: "netnsOverride", requiredFor: [] },
];

function requiredBy(rule: EnvRule, verb: string): boolean {
  return rule.requiredFor === "always" || (rule.requiredFor as readonly string[]).includes(verb);
}

/** Names of the variables `verb` requires, in table order (for documentation and tests). */
export function requiredVariables(verb: string): string[] {
  return ENV_TABLE.filter((rule) => requiredBy(rule, verb)).map((r) => r.variable);
}

/**
 * Reads every CNI_* variable. An invalid value is reported at once (Go returns
 * from inside the loop); otherwise all missing required variables are
 * reported together as code 4. An unknown verb requires only CNI_COMMAND.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvValues {
  const values: EnvValues = { command: "", containerId: "", netns: "", ifName: "", args: "", path: "", netnsOverride: "" };
  const command = env.CNI_COMMAND ?? "";
  const missing: string[] = [];
  for (const rule of ENV_TABLE) {
    const value = env[rule.variable] ?? "";
    values[rule.field] = value;
    if (!requiredBy(rule, command)) continue;
    if (value === "") {
      missing.push(rule.variable);
      continue;
    }
    rule.validate?.(value);
  }
  if (missing.length > 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(",")}] missing`);
  }
  return values;
}

/** CNI_NETNS_OVERRIDE: Go's rule, exactly "1" or "true" in any case. */
export function netnsOverrideSet(values: EnvValues): boolean {
  return values.netnsOverride === "1" || values.netnsOverride.toUpperCase() === "TRUE";
}

/** CNI_PATH as a list: ':' separated, empty entries dropped. */
export function splitPath(raw: string): string[] {
  return raw.split(":").filter((dir) => dir !== "");
}

/** The handler arguments that come from the environment: the same for every verb, whatever the config holds. */
export function envArgs(values: EnvValues, plugin: Pick<AnyPlugin, "args" | "strictArgs">) {
  return {
    command: values.command,
    containerId: values.containerId,
    netns: values.netns,
    ifName: values.ifName,
    args: parseCniArgs(values.args, plugin.args, { strict: plugin.strictArgs === true }),
    rawArgs: values.args,
    path: splitPath(values.path),
  };
}
