import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SPEC_VERSIONS } from "@tscni/types";
import { decodeConfigVersion, decodePluginInfo, pluginSupports, versionAnswer, versionsStartingFrom } from "@tscni/version";
import { cniError } from "../../../test/support/cni-error.js";

describe("decodeConfigVersion", () => {
  it.each(SPEC_VERSIONS)("returns %s as written", (v) => {
    expect(decodeConfigVersion(JSON.stringify({ cniVersion: v, name: "n" }))).toBe(v);
    expect(decodeConfigVersion(Buffer.from(JSON.stringify({ cniVersion: v })))).toBe(v);
  });

  it.each([
    ["{}", "0.1.0"],
    ['{"cniVersion":""}', "0.1.0"],
    ['{"cniVersion":null}', "0.1.0"],
    ["null", "0.1.0"],
    ['{"cniVersion":"adsfsadf"}', "adsfsadf"],
    ['{"cniVersion":"1.0"}', "1.0"],
  ])("reads %s as %j", (stdin, expected) => {
    expect(decodeConfigVersion(stdin)).toBe(expected);
  });

  it.each([
    ["", "decoding version from network config: Unexpected end of JSON input"],
    ["{", "decoding version from network config: "],
    ['{"a":1} x', "decoding version from network config: "],
    ["[]", "decoding version from network config: the network config must be a JSON object; got an array"],
    ["5", "decoding version from network config: the network config must be a JSON object; got number"],
    ['{"cniVersion":1}', "decoding version from network config: cniVersion must be a string; got number 1"],
    ['{"cniVersion":["1.0.0"]}', "decoding version from network config: cniVersion must be a string; got object"],
  ])("refuses %j with code 6", (stdin, message) => {
    const e = cniError(() => decodeConfigVersion(stdin));
    expect(e.code).toBe(6);
    expect(e.message.startsWith(message)).toBe(true);
  });
});

describe("versionAnswer", () => {
  const info = versionsStartingFrom("0.3.0");

  it.each(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])("echoes a supported stdin version %s", (v) => {
    expect(versionAnswer(info, JSON.stringify({ cniVersion: v }))).toEqual({ cniVersion: v, supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] });
  });

  it.each([undefined, "", "{", "null", "[]", '{"cniVersion":"0.2.0"}', '{"cniVersion":"1.0"}', '{"cniVersion":5}', "{}"])(
    "answers with the newest supported version for stdin %j",
    (stdin) => {
      expect(versionAnswer(info, stdin).cniVersion).toBe("1.1.0");
    },
  );

  it("takes the newest by version, not by list position", () => {
    expect(versionAnswer(pluginSupports("1.1.0", "0.4.0")).cniVersion).toBe("1.1.0");
    expect(versionAnswer(pluginSupports("0.2.0", "0.1.0"), Buffer.from("{}")).cniVersion).toBe("0.2.0");
  });

  it("answers something decodePluginInfo reads back, for any stdin", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SPEC_VERSIONS), fc.oneof(fc.string(), fc.json()), (from, stdin) => {
        const answer = versionAnswer(versionsStartingFrom(from), stdin);
        expect(decodePluginInfo(JSON.stringify(answer))).toEqual(answer);
      }),
    );
  });
});

describe("decodePluginInfo", () => {
  it("reads an answer, from text or bytes", () => {
    const answer = { cniVersion: "1.1.0", supportedVersions: ["0.4.0", "1.0.0", "1.1.0"] };
    expect(decodePluginInfo(JSON.stringify(answer))).toEqual(answer);
    expect(decodePluginInfo(Buffer.from(JSON.stringify({ ...answer, extra: 1 })))).toEqual(answer);
  });

  it("keeps odd versions a plugin lists (Go's noop lists 0.-42.0)", () => {
    expect(decodePluginInfo('{"cniVersion":"1.0.0","supportedVersions":["0.-42.0","1.0.0"]}').supportedVersions).toEqual(["0.-42.0", "1.0.0"]);
  });

  it.each(['{"cniVersion":"0.2.0"}', '{"cniVersion":"0.2.0","supportedVersions":[]}', '{"cniVersion":"0.2.0","supportedVersions":null}'])(
    "reads a 0.2.0 answer without a list (%s) as 0.1.0 and 0.2.0",
    (stdout) => {
      expect(decodePluginInfo(stdout)).toEqual({ cniVersion: "0.2.0", supportedVersions: ["0.1.0", "0.2.0"] });
    },
  );

  it.each([
    ["", "decoding version info: Unexpected end of JSON input"],
    ["[]", 'decoding version info: expected a JSON object; got []'],
    ["null", "decoding version info: expected a JSON object; got null"],
    ['{"supportedVersions":["1.0.0"]}', "decoding version info: missing field cniVersion"],
    ['{"cniVersion":"1.0.0"}', "decoding version info: missing field supportedVersions"],
    ['{"cniVersion":"1.0.0","supportedVersions":[]}', "decoding version info: missing field supportedVersions"],
    ['{"cniVersion":"1.0.0","supportedVersions":[1]}', "decoding version info; supportedVersions[0]: expected string, got number 1"],
    ['{"cniVersion":1,"supportedVersions":["1.0.0"]}', "decoding version info; cniVersion: expected string, got number 1"],
    ['{"cniVersion":"1.0.0","supportedVersions":"1.0.0"}', 'decoding version info; supportedVersions: expected array, got "1.0.0"'],
  ])("refuses %j with code 6", (stdout, message) => {
    const e = cniError(() => decodePluginInfo(stdout));
    expect(e.code).toBe(6);
    expect(e.message).toBe(message);
  });
});
