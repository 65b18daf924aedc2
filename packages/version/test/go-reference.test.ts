/**
 * Differential test against the Go reference library on this machine
 * (libcni 1.1.2): random version strings are parsed and compared by both, and
 * random VERSION answers decoded by both. They must agree, except where the
 * README says otherwise: Go's Atoi accepts a sign ("+1", "-1"), so signs are
 * left out of the generated strings.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { CniError } from "@tscni/types";
import { compareVersions, decodePluginInfo, parseVersion } from "@tscni/version";
import { skipReason } from "../../../test/support/prereq.js";

const GO_VERSION_PKG = "/usr/share/gocode/src/github.com/containernetworking/cni/pkg/version";
// A directory passes the executable check when it can be searched, which is what the Go build needs.
const skip = skipReason({ commands: ["go"], executables: [GO_VERSION_PKG] });

interface GoAnswer {
  parsed?: string;
  parseError?: string;
  atLeast?: boolean;
  compareError?: string;
  supported?: string[];
  decodeError?: string;
}

function outcome<T>(fn: () => T): T | "error" {
  try {
    return fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return "error";
  }
}

describe.skipIf(skip)(`the Go reference library${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let goVersion: (requests: { a: string; b: string; info: string }[]) => GoAnswer[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tscni-go-version-"));
    const binary = join(dir, "go-version");
    execFileSync("go", ["build", "-o", binary, "."], {
      cwd: join(import.meta.dirname, "go-version"),
      env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOFLAGS: "", GOCACHE: join(tmpdir(), "tscni-types-gocache") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    goVersion = (requests) => {
      const out = execFileSync(binary, { input: requests.map((r) => JSON.stringify(r)).join("\n") + "\n", maxBuffer: 1 << 26 });
      return out.toString().trim().split("\n").map((line) => JSON.parse(line) as GoAnswer);
    };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const part = fc.oneof(fc.stringMatching(/^[0-9]{1,3}$/), fc.constantFrom("", "x", "1-rc1", "01", " 1"));
  const version = fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.stringMatching(/^[0-9]{1,2}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join(".")) },
    { weight: 2, arbitrary: fc.array(part, { minLength: 0, maxLength: 5 }).map((p) => p.join(".")) },
    { weight: 1, arbitrary: fc.constantFrom("", "0.1.0", "1.1.0", "1.0.0.0") },
  );
  const info = fc.oneof(
    fc.record({ cniVersion: fc.option(version, { nil: undefined }), supportedVersions: fc.option(fc.array(version, { maxLength: 3 }), { nil: undefined }) }).map((o) => JSON.stringify(o)),
    fc.constantFrom('{"cniVersion":"0.2.0"}', '{"cniVersion":"0.2.0","supportedVersions":[]}', "{", "[]", '{"cniVersion":"1.0.0","supportedVersions":[1]}'),
  );

  it("parses, compares and decodes VERSION answers as the SDK does", () => {
    let parsedAgreed = 0;
    fc.assert(
      fc.property(fc.array(fc.record({ a: version, b: version, info }), { minLength: 100, maxLength: 200 }), (requests) => {
        const answers = goVersion(requests);
        requests.forEach((req, i) => {
          const go = answers[i]!;
          expect({ req, parsed: outcome(() => parseVersion(req.a)) }).toEqual({ req, parsed: go.parsed ?? "error" });
          expect({ req, atLeast: outcome(() => compareVersions(req.a, req.b) >= 0) }).toEqual({ req, atLeast: go.atLeast ?? "error" });
          // A decoded answer keeps cniVersion too; Go exposes only the list.
          const ours = outcome(() => decodePluginInfo(req.info).supportedVersions);
          expect({ req, supported: ours }).toEqual({ req, supported: go.supported ?? "error" });
          if (go.parsed) parsedAgreed++;
        });
      }),
      { numRuns: 10 },
    );
    expect(parsedAgreed).toBeGreaterThan(300);
  });

  it("differs only on signed parts, which Go accepts and the SDK refuses", () => {
    const [go] = goVersion([{ a: "0.-42.0", b: "0.1.0", info: '{"cniVersion":"1.0.0","supportedVersions":["0.-42.0"]}' }]);
    expect(go).toEqual({ parsed: "0.-42.0", atLeast: false, supported: ["0.-42.0"] });
    expect(() => parseVersion("0.-42.0")).toThrow(CniError);
    expect(decodePluginInfo('{"cniVersion":"1.0.0","supportedVersions":["0.-42.0"]}').supportedVersions).toEqual(["0.-42.0"]);
  });
});
