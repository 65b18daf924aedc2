import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CniError, SPEC_VERSIONS } from "@tscni/types";
import {
  ALL_VERSIONS,
  compareVersions,
  declaredVersionInfo,
  type DeclaredVersions,
  newestSupported,
  parseVersion,
  pluginSupports,
  versionAtLeast,
  versionsStartingFrom,
} from "@tscni/version";
import { cniError } from "../../../test/support/cni-error.js";

describe("parseVersion", () => {
  it.each([
    ["", "0.1.0"],
    ["1", "1.0.0"],
    ["1.2", "1.2.0"],
    ["1.2.3", "1.2.3"],
    ["01.02.03", "1.2.3"],
    ["0.4.0", "0.4.0"],
    ["10.20.30", "10.20.30"],
  ])("reads %j as %s", (input, expected) => {
    expect(parseVersion(input)).toBe(expected);
  });

  it.each([
    ["asdf", 'invalid version "asdf": failed to convert major version part "asdf"'],
    ["asdf.", 'invalid version "asdf.": failed to convert major version part "asdf"'],
    [".x", 'invalid version ".x": failed to convert major version part ""'],
    ["0.", 'invalid version "0.": failed to convert minor version part ""'],
    ["..", 'invalid version "..": failed to convert major version part ""'],
    ["1.2.3.4", 'invalid version "1.2.3.4": too many parts'],
    ["1.2.3.4.5", 'invalid version "1.2.3.4.5": too many parts'],
    ["1.1.0-rc1", 'invalid version "1.1.0-rc1": failed to convert micro version part "0-rc1"'],
    ["-1.0.0", 'invalid version "-1.0.0": failed to convert major version part "-1"'],
    [" 1.0.0", 'invalid version " 1.0.0": failed to convert major version part " 1"'],
    ["99999999999999999999", 'invalid version "99999999999999999999": failed to convert major version part "99999999999999999999"'],
  ])("rejects %j with code 6", (input, message) => {
    const e = cniError(() => parseVersion(input));
    expect(e.code).toBe(6);
    expect(e.msg).toBe(message);
  });

  it("rejects a non-string with code 6", () => {
    expect(cniError(() => parseVersion(1 as unknown as string)).msg).toBe("invalid version 1: not a string");
  });

  it("never throws anything but a CniError on random input", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          expect(parseVersion(s)).toMatch(/^\d+\.\d+\.\d+$/);
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
        }
      }),
    );
  });
});

describe("compareVersions", () => {
  it.each([
    ["0.1.0", "0.2.0", -1],
    ["1.0.0", "0.4.0", 1],
    ["1", "1.0.0", 0],
    ["", "0.1.0", 0],
    ["0.10.0", "0.9.0", 1],
    ["1.1.0", "1.10.0", -1],
  ])("compares %j with %j as %i", (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
    expect(versionAtLeast(a, b)).toBe(expected >= 0);
  });

  it("orders the spec versions as listed", () => {
    const shuffled = [...SPEC_VERSIONS].reverse();
    expect(shuffled.sort(compareVersions)).toEqual([...SPEC_VERSIONS]);
  });

  it("agrees with numeric comparison on random versions", () => {
    const part = fc.nat(1000);
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.tuple(part, part, part), (a, b) => {
        const numeric = Math.sign(a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
        expect(compareVersions(a.join("."), b.join("."))).toBe(numeric);
      }),
    );
  });

  it("reports an unparseable side with code 6", () => {
    expect(cniError(() => compareVersions("1.0.0", "x")).code).toBe(6);
  });
});

describe("pluginSupports and versionsStartingFrom", () => {
  it("ALL_VERSIONS lists the seven spec versions oldest first", () => {
    expect(ALL_VERSIONS).toEqual(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
  });

  it("keeps the list as given, without duplicates, frozen", () => {
    const info = pluginSupports("1.0.0", "0.4.0", "1.0.0");
    expect(info.supportedVersions).toEqual(["1.0.0", "0.4.0"]);
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.supportedVersions)).toBe(true);
  });

  it("throws on an empty list", () => {
    expect(cniError(() => pluginSupports()).msg).toBe("pluginSupports() needs at least one version");
  });

  it("throws on a short or malformed version, since exact matching would never find it", () => {
    // The type admits only the spec's strings; the run-time check covers untyped callers.
    // @ts-expect-error "1.0" is not a spec version string
    expect(cniError(() => pluginSupports("1.0")).msg).toBe('pluginSupports(): write version "1.0" as "1.0.0"');
    // @ts-expect-error "x" is not a spec version string
    expect(cniError(() => pluginSupports("x")).code).toBe(6);
  });

  it.each(SPEC_VERSIONS.map((v, i) => [v, SPEC_VERSIONS.slice(i)] as const))("versionsStartingFrom(%s)", (from, expected) => {
    expect(versionsStartingFrom(from).supportedVersions).toEqual(expected);
  });

  it("versionsStartingFrom a version between spec versions starts at the next one", () => {
    expect(versionsStartingFrom("0.3.5").supportedVersions).toEqual(["0.4.0", "1.0.0", "1.1.0"]);
    expect(cniError(() => versionsStartingFrom("2.0.0")).msg).toContain("no spec version is that new");
  });

  it("newestSupported picks the highest version, skipping unparseable ones", () => {
    expect(newestSupported(pluginSupports("1.0.0", "1.1.0", "0.4.0"))).toBe("1.1.0");
    expect(newestSupported({ supportedVersions: ["0.-42.0", "0.4.0", "0.3.1"] })).toBe("0.4.0");
    expect(newestSupported({ supportedVersions: ["x"] })).toBe("x");
    expect(newestSupported({ supportedVersions: [] })).toBe("0.1.0");
  });
});

describe("declaredVersionInfo: what a plugin declared, checked at run time", () => {
  it("admits only the seven spec strings in its type", () => {
    const ok: DeclaredVersions = ["1.0.0", "1.1.0"];
    // @ts-expect-error "1.0" is not a spec version string
    const short: DeclaredVersions = ["1.0", "1.1.0"];
    // @ts-expect-error neither is "2.0.0"
    const future: DeclaredVersions = { supportedVersions: ["2.0.0"] };
    expect([ok, short, future].length).toBe(3);
  });

  it("passes a list or pluginSupports(...) through; undefined is every spec version", () => {
    expect(declaredVersionInfo(["1.0.0", "0.4.0"]).supportedVersions).toEqual(["1.0.0", "0.4.0"]);
    expect(declaredVersionInfo(pluginSupports("1.1.0")).supportedVersions).toEqual(["1.1.0"]);
    expect(declaredVersionInfo(undefined).supportedVersions).toEqual(SPEC_VERSIONS);
  });

  it.each([
    [["1.0", "1.1.0"], 'the plugin declares version "1.0", which is not a spec version string', 'write it as "1.0.0"'],
    [{ supportedVersions: ["1.1.0", "01.0.0"] }, 'the plugin declares version "01.0.0", which is not a spec version string', 'write it as "1.0.0"'],
    [["2.0.0"], 'the plugin declares version "2.0.0", which is not a spec version string', `spec versions: ${SPEC_VERSIONS.join(", ")}`],
    [["1.0.0", 1], "the plugin declares version 1 (number), which is not a spec version string", `spec versions: ${SPEC_VERSIONS.join(", ")}`],
    [[], "the plugin declares no supported CNI versions", undefined],
    ["1.0.0", "the plugin's versions are not a list of spec version strings", "got string"],
  ])("%j is error 999 naming the entry", (declared, msg, details) => {
    const e = cniError(() => declaredVersionInfo(declared));
    expect({ code: e.code, msg: e.msg, details: e.details }).toEqual({ code: 999, msg, details });
  });
});
