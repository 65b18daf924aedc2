/**
 * Validation issues as one readable sentence. zod/mini ships no English
 * messages (loading a locale costs every plugin exec), so the text is built
 * here from each issue's code, path, expectation and input.
 */

/** The parts of a zod issue (or any Standard Schema issue) this formatter reads. */
export interface IssueLike {
  readonly code?: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  readonly message?: string;
  readonly input?: unknown;
  readonly expected?: string;
  readonly format?: string;
  readonly values?: readonly unknown[];
  readonly keys?: readonly string[];
  readonly origin?: string;
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly inclusive?: boolean;
  readonly errors?: ReadonlyArray<ReadonlyArray<IssueLike>>;
  readonly divisor?: number;
}

/** `plugins[0].ipam.type`; the root is `(root)`. */
export function formatPath(path: IssueLike["path"]): string {
  let out = "";
  for (const seg of path ?? []) {
    const key = typeof seg === "object" && seg !== null ? seg.key : seg;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/** A value as it appears in a message: JSON, cut short, with its type when that helps. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" || typeof value === "symbol") return typeof value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  if (Array.isArray(value)) return `array ${text}`;
  if (value !== null && typeof value === "object") return `object ${text}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${text}`;
  return text;
}

function valueAt(root: unknown, path: IssueLike["path"]): unknown {
  let cur = root;
  for (const seg of path ?? []) {
    const key = typeof seg === "object" && seg !== null ? seg.key : seg;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

const FORMAT_NAMES: Record<string, string> = {
  cidrv4: "an IPv4 CIDR like 169.254.1.5/16",
  cidrv6: "an IPv6 CIDR like fd00::5/64",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  safeint: "an integer",
  int32: "a 32-bit integer",
  uint32: "an unsigned 32-bit integer",
  mac: "a MAC address",
};

function expectation(issue: IssueLike): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.format && FORMAT_NAMES[issue.format]
        ? `expected ${FORMAT_NAMES[issue.format]}`
        : `expected ${issue.expected ?? "another type"}`;
    case "invalid_format":
      return `expected ${FORMAT_NAMES[issue.format ?? ""] ?? `format ${issue.format ?? "?"}`}`;
    case "invalid_value":
      return `expected ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(" or ")}`;
    case "too_small":
      return issue.origin === "string" || issue.origin === "array"
        ? `expected at least ${issue.minimum} ${issue.origin === "string" ? "characters" : "items"}`
        : `expected ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string" || issue.origin === "array"
        ? `expected at most ${issue.maximum} ${issue.origin === "string" ? "characters" : "items"}`
        : `expected ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}`;
    case "invalid_union": {
      // Name the alternatives' expectations once each ("an IPv4 CIDR ... or an IPv6 CIDR ...").
      const alternatives = new Set<string>();
      for (const branch of issue.errors ?? []) {
        const first = branch[0];
        if (first && (first.path ?? []).length === 0) alternatives.add(expectation(first).replace(/^expected /, ""));
      }
      return alternatives.size ? `expected ${[...alternatives].join(" or ")}` : "matches none of the allowed forms";
    }
    case "invalid_key":
      return "has an invalid key";
    case "invalid_element":
      return "has an invalid element";
    default:
      return issue.message && issue.message !== "Invalid input" ? issue.message : "is invalid";
  }
}

function formatOne(issue: IssueLike, root: unknown): string {
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return `${path}: unknown key${(issue.keys ?? []).length === 1 ? "" : "s"} ${(issue.keys ?? []).map((k) => JSON.stringify(k)).join(", ")}`;
  }
  const input = "input" in issue ? issue.input : valueAt(root, issue.path);
  const got = input === undefined ? "missing" : `got ${describeValue(input)}`;
  // A plain message (a Standard Schema from another library, or a zod custom check) is kept as the author wrote it.
  if (issue.code === undefined || issue.code === "custom") {
    const message = issue.message && issue.message !== "Invalid input" ? issue.message : "is invalid";
    return `${path}: ${message} (${got})`;
  }
  return `${path}: ${expectation(issue)}, ${got}`;
}

/**
 * One message naming each issue's field path, what was expected and the value
 * found: `ips[0].address: expected an IPv4 CIDR ... or an IPv6 CIDR ..., got "10.1.2.3"`.
 * `root` lets it show values for issues that do not carry their input.
 */
export function formatIssues(issues: ReadonlyArray<IssueLike>, root?: unknown): string {
  if (issues.length === 0) return "invalid value";
  return issues.map((issue) => formatOne(issue, root)).join("; ");
}
