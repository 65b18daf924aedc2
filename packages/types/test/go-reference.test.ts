/**
 * Differential tests against the Go reference library on this machine
 * (libcni 1.1.2, spec 0.1.0 to 1.0.0), built from small Go programs next to
 * this file.
 * - Results: random results are converted between every pair of versions by
 *   both; they must agree on success or failure and, on success, on the
 *   result (compared after dropping empty values: Go prints `{}` for dns
 *   where the SDK omits it).
 * - CNI_ARGS: random strings are parsed by both (strict mode, which is Go's
 *   only mode); they must agree on success or failure and on the values.
 * - Names: a table of container IDs, network names and interface names (and
 *   random strings) goes through Go's pkg/utils rules and @tscni/types/names;
 *   the error objects must be the same.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as z from "zod/mini";
import { CniError, convertResult, parseCniArgs } from "@tscni/types";
import { validateContainerId, validateInterfaceName, validateNetworkName } from "@tscni/types/names";
import type { AnyResult } from "@tscni/types";
import { skipReason } from "../../../test/support/prereq.js";
import { result100ForGo } from "./arbitraries.js";

const GO_CNI = "/usr/share/gocode/src/github.com/containernetworking/cni/pkg/types/100";
const GO_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"];
// A directory passes the executable check when it can be searched, which is what the Go build needs.
const skip = skipReason({ commands: ["go"], executables: [GO_CNI] });

/** Drops null, "", {} and [] recursively: the ways the two sides say "nothing". */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const cleaned = withoutEmpty(v);
    if (cleaned === null || cleaned === "" || cleaned === undefined) continue;
    if (typeof cleaned === "object" && Object.keys(cleaned as object).length === 0) continue;
    out[k] = cleaned;
  }
  return out;
}

interface ErrorJson {
  code: number;
  msg: string;
  details?: string;
}

/** The error object a name rule throws, as Go prints it; null when the name is valid. */
function verdict(rule: (name: string) => void, name: string): ErrorJson | null {
  try {
    rule(name);
    return null;
  } catch (e) {
    if (!(e instanceof CniError)) throw e;
    return { code: e.code, msg: e.msg, ...(e.details !== undefined && { details: e.details }) };
  }
}

interface Request {
  version: string;
  result: AnyResult;
  to: string;
}

describe.skipIf(skip)(`the Go reference library${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let goConvert: (requests: Request[]) => { result?: unknown; error?: string }[];
  let goArgs: (raws: string[]) => { values?: Record<string, unknown>; error?: string }[];
  let goNames: (raws: string[]) => Record<"containerId" | "network" | "ifName", ErrorJson | null>[];

  /** Builds one of the Go programs and returns a function sending it JSON lines. */
  function goProgram<In, Out>(name: string): (requests: In[]) => Out[] {
    const binary = join(dir, name);
    execFileSync("go", ["build", "-o", binary, "."], {
      cwd: join(import.meta.dirname, name),
      env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOFLAGS: "", GOCACHE: join(tmpdir(), "tscni-types-gocache") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    return (requests) => {
      const out = execFileSync(binary, { input: requests.map((r) => JSON.stringify(r)).join("\n") + "\n", maxBuffer: 1 << 26 });
      return out.toString().trim().split("\n").map((line) => JSON.parse(line) as Out);
    };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-go-reference-"));
    goConvert = goProgram("go-convert");
    goArgs = goProgram("go-args");
    goNames = goProgram("go-names");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("converts random results from every version to every version as the SDK does", () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.array(result100ForGo, { minLength: 1, maxLength: 40 }), (results) => {
        const requests: Request[] = [];
        for (const r of results) {
          for (const from of GO_VERSIONS) {
            let source: AnyResult;
            try {
              source = convertResult(r, from);
            } catch {
              continue; // no IP for a 0.x source: nothing to compare from there
            }
            for (const to of GO_VERSIONS) requests.push({ version: from, result: source, to });
          }
        }
        const answers = goConvert(requests);
        expect(answers).toHaveLength(requests.length);
        requests.forEach((req, i) => {
          const go = answers[i]!;
          let ours: unknown;
          try {
            ours = convertResult(req.result, req.to);
          } catch (e) {
            expect(e).toBeInstanceOf(CniError);
            expect({ request: req, go: go.error ?? go.result }).toEqual({ request: req, go: "cannot convert: no valid IP addresses" });
            return;
          }
          expect({ request: req, ours: withoutEmpty(ours) }).toEqual({ request: req, ours: withoutEmpty(go.result) });
          compared++;
        });
      }),
      { numRuns: 10 },
    );
    expect(compared).toBeGreaterThan(500);
  });
  describe("CNI_ARGS parsing agrees with Go's LoadArgs", () => {
    // Go fills its struct fields with zero values; the schema mirrors pluginArgs in go-args/main.go.
    const schema = z.object({
      A: z._default(z.string(), ""),
      B: z._default(z.string(), ""),
      C: z._default(z.stringbool({ truthy: ["1", "true"], falsy: ["0", "false"], case: "insensitive" }), false),
    });
    // Pieces that exercise known and unknown keys, IgnoreUnknown, bad booleans and malformed pairs.
    // An empty key ("=v") is left out: Go files it as an unknown key, the SDK rejects it (README).
    const key = fc.constantFrom("A", "B", "C", "D", "IgnoreUnknown", "a");
    const value = fc.constantFrom("", "1", "0", "true", "TRUE", "False", "x", "169.254.1.1");
    const piece = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(key, value).map(([k, v]) => `${k}=${v}`) },
      { weight: 1, arbitrary: fc.constantFrom("", "A", "A=b=c", "C==") },
    );
    const cniArgs = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(";"));

    it("on random CNI_ARGS strings in strict mode", () => {
      let agreedOnValues = 0;
      let agreedOnErrors = 0;
      fc.assert(
        fc.property(fc.array(cniArgs, { minLength: 100, maxLength: 200 }), (raws) => {
          const answers = goArgs(raws);
          raws.forEach((raw, i) => {
            const go = answers[i]!;
            let ours: unknown;
            try {
              ours = parseCniArgs(raw, schema, { strict: true });
            } catch (e) {
              expect(e).toBeInstanceOf(CniError);
              expect({ raw, go: go.error ? "error" : go.values }).toEqual({ raw, go: "error" });
              agreedOnErrors++;
              return;
            }
            expect({ raw, ours }).toEqual({ raw, ours: go.values ?? go.error });
            agreedOnValues++;
          });
        }),
        { numRuns: 20 },
      );
      expect(agreedOnValues).toBeGreaterThan(100);
      expect(agreedOnErrors).toBeGreaterThan(100);
    });
  });

  it("applies the container ID, network name and interface name rules as Go's pkg/utils does", () => {
    const table = [
      // valid everywhere
      "eth0", "k8s_pod.1-a", "a", "0", "abcdefghijklmno",
      // empty, dots, length (15 bytes is the limit, counted in UTF-8)
      "", ".", "..", "...", "abcdefghijklmnop", "€€€€€", "€€€€€€", "üüüüüüü", "üüüüüüüü",
      // the ID character set: a letter or digit first, then [a-zA-Z0-9_.-]
      ".hidden", "-net", "_a", "a_b", "a.b", "a-b", "a@b", "a+b", "ü", "a/b", "a:b", "../x", "a\0b",
      // Go's unicode.IsSpace, against JavaScript's \s (which adds U+FEFF and lacks U+0085)
      "a b", "a\tb", "a\nb", "a\vb", "a\fb", "a\rb", "a\u0085b", "a\u00a0b", "a\u1680b", "a\u2000b", "a\u200ab",
      "a\u2028b", "a\u2029b", "a\u202fb", "a\u205fb", "a\u3000b", "a\ufeffb", "a\u200bb", "a\u180eb",
      // valid interface names that are not valid IDs
      "a#b", "a'b", "a\"b", "a\\b", "eth0\u0001", "a\u007fb",
    ];
    // Random strings too, well-formed only: JSON carries a lone surrogate to Go as U+FFFD.
    const random = fc.sample(fc.string({ unit: "binary", maxLength: 20 }), { numRuns: 500, seed: 1 }).filter((s) => !/\p{Cs}/u.test(s));
    const names = [...table, ...random];
    const answers = goNames(names);
    expect(answers).toHaveLength(names.length);
    let refused = 0;
    names.forEach((name, i) => {
      const go = answers[i]!;
      // Go's message for an empty network name ends in a stray ':', which ours leaves out.
      if (go.network?.msg === "missing network name:") go.network.msg = "missing network name";
      const ours = {
        containerId: verdict(validateContainerId, name),
        network: verdict(validateNetworkName, name),
        ifName: verdict(validateInterfaceName, name),
      };
      expect({ name, ours }).toEqual({ name, ours: go });
      if (ours.ifName) refused++;
    });
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(names.length - 20);
  });
});
