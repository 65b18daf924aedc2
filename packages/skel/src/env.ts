/**
 * The CNI_* environment as a table walked by one loop, in the order and with
 * the wording of the Go reference (notes §2.2), except that CNI_PATH is
 * required for GC only (notes §11).
 */
import { CniError, ErrorCode } from "@tscni/types";

/** Verbs a runtime may send; anything else is rejected by the dispatcher. */
export type KnownVerb = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";

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
  /** Verbs for which an unset or empty value is an error. */
  requiredFor: readonly KnownVerb[];
  /** Runs only where the variable is required and set, as in Go. Throws CniError. */
  validate?: (value: string) => void;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** `/`, `:` and exactly the characters Go's unicode.IsSpace accepts (JS's \s differs: it has U+FEFF, lacks U+0085). */
const IFNAME_FORBIDDEN = /[/:\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
/** Linux IFNAMSIZ is 16 bytes including the terminating NUL. */
const IFNAME_MAX_BYTES = 15;

/** Container IDs and network names share one character set (spec 1.0.0). */
export function isValidIdentifier(value: string): boolean {
  return CONTAINER_ID.test(value);
}

export function validateContainerId(value: string): void {
  if (!isValidIdentifier(value)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "invalid characters in containerID", value);
  }
}

export function validateInterfaceName(value: string): void {
  if (value === "") throw new CniError(ErrorCode.InvalidEnvironment, "interface name is empty");
  if (Buffer.byteLength(value, "utf8") > IFNAME_MAX_BYTES) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      "interface name is too long",
      `interface name should be less than 16 characters`,
    );
  }
  if (value === "." || value === "..") {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name is . or ..");
  }
  if (IFNAME_FORBIDDEN.test(value)) {
    throw new CniError(ErrorCode.InvalidEnvironment, "interface name contains / or : or whitespace characters");
  }
}

const ATTACHMENT_VERBS: readonly KnownVerb[] = ["ADD", "CHECK", "DEL"];

const ENV_TABLE: readonly EnvRule[] = [
  { variable: "CNI_COMMAND", field: "command", requiredFor: ["ADD", "CHECK", "DEL", "GC", "STATUS", "VERSION"] },
  { variable: "CNI_CONTAINERID", field: "containerId", requiredFor: ATTACHMENT_VERBS, validate: validateContainerId },
  // DEL may come without a namespace: it must clean up what it can (spec 0.4.0).
  { variable: "CNI_NETNS", field: "netns", requiredFor: ["ADD", "CHECK"] },
  { variable: "CNI_IFNAME", field: "ifName", requiredFor: ATTACHMENT_VERBS, validate: validateInterfaceName },
  { variable: "CNI_ARGS", field: "args", requiredFor: [] },
  { variable: "CNI_PATH", field: "path", requiredFor: ["GC"] },
  { variable: "CNI_NETNS_OVERRIDE", field: "netnsOverride", requiredFor: [] },
];

/** Names of the variables `verb` requires, in table order (for documentation and tests). */
export function requiredVariables(verb: string): string[] {
  return ENV_TABLE.filter((rule) => (rule.requiredFor as readonly string[]).includes(verb)).map((r) => r.variable);
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
    if (!(rule.requiredFor as readonly string[]).includes(command) && rule.field !== "command") continue;
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
