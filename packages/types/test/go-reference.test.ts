/**
 * Differential test against the Go reference: random results are converted
 * between every pair of the versions Go knows here (libcni 1.1.2: 0.1.0 to
 * 1.0.0) by both implementations, and must agree on success or failure and,
 * on success, on the result (compared after dropping empty values, which Go
 * prints as `{}` for dns and the SDK omits).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { CniError, convertResult } from "@tscni/types";
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

interface Request {
  version: string;
  result: AnyResult;
  to: string;
}

describe.skipIf(skip)(`conversions agree with the Go reference${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let goConvert: (requests: Request[]) => { result?: unknown; error?: string }[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-go-convert-"));
    const binary = join(dir, "go-convert");
    execFileSync("go", ["build", "-o", binary, "."], {
      cwd: join(import.meta.dirname, "go-convert"),
      env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOFLAGS: "", GOCACHE: join(tmpdir(), "tscni-types-gocache") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    goConvert = (requests) => {
      const out = execFileSync(binary, { input: requests.map((r) => JSON.stringify(r)).join("\n") + "\n", maxBuffer: 1 << 26 });
      return out.toString().trim().split("\n").map((line) => JSON.parse(line));
    };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("on random results, from every version to every version", () => {
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
});
