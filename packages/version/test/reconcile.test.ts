import { describe, expect, it } from "vitest";
import { SPEC_VERSIONS } from "@tscni/types";
import { VERB_MIN_VERSION } from "@tscni/types/internal";
import { checkVerbAllowed, compareVersions, pluginSupports, reconcile, versionsStartingFrom } from "@tscni/version";
import { cniError } from "../../../test/support/cni-error.js";

const ALL = versionsStartingFrom("0.1.0");

describe.each(SPEC_VERSIONS)("a config of version %s", (version) => {
  it("reconciles with a plugin that lists it", () => {
    expect(reconcile(version, ALL)).toBe(version);
  });

  it("is refused with code 1 and Go's details by a plugin that does not", () => {
    const others = pluginSupports(...SPEC_VERSIONS.filter((v) => v !== version));
    const e = cniError(() => reconcile(version, others));
    expect(e.code).toBe(1);
    expect(e.msg).toBe("incompatible CNI versions");
    expect(e.details).toBe(`config is "${version}", plugin supports [${others.supportedVersions.map((v) => `"${v}"`).join(" ")}]`);
  });

  it("matches by exact string only, as the spec requires", () => {
    const short = version.replace(/\.0$/, "");
    if (short !== version) expect(cniError(() => reconcile(short, ALL)).details).toContain(`config is "${short}"`);
  });

  it.each(["ADD", "DEL", "VERSION", "NOPE"])("allows %s whatever the version", (verb) => {
    expect(() => checkVerbAllowed(verb, version, ALL)).not.toThrow();
  });

  it.each(Object.entries(VERB_MIN_VERSION).filter(([, min]) => min !== "0.1.0"))("gates %s at %s", (verb, min) => {
    if (compareVersions(version, min) >= 0) {
      expect(() => checkVerbAllowed(verb, version, ALL)).not.toThrow();
    } else {
      const e = cniError(() => checkVerbAllowed(verb, version, ALL));
      expect(e.code).toBe(1);
      expect(e.msg).toBe(`config version does not allow ${verb}`);
      expect(e.details).toBe(`config is "${version}"; ${verb} needs cniVersion ${min} or later`);
    }
  });
});

describe("checkVerbAllowed", () => {
  it("names the verbs' minimum versions", () => {
    expect(VERB_MIN_VERSION).toEqual({ ADD: "0.1.0", DEL: "0.1.0", VERSION: "0.1.0", CHECK: "0.4.0", GC: "1.1.0", STATUS: "1.1.0" });
  });

  it.each(["CHECK", "GC", "STATUS"])("refuses %s when no plugin version is as new as the config", (verb) => {
    const old = pluginSupports("0.1.0", "0.2.0");
    const e = cniError(() => checkVerbAllowed(verb, "1.1.0", old));
    expect(e.code).toBe(1);
    expect(e.msg).toBe(`plugin version does not allow ${verb}`);
    expect(e.details).toBe('config is "1.1.0", plugin supports ["0.1.0" "0.2.0"]');
  });

  it("accepts a config version the plugin does not list exactly (reconcile decides that, as in Go)", () => {
    expect(() => checkVerbAllowed("CHECK", "0.4", ALL)).not.toThrow();
    expect(() => reconcile("0.4", ALL)).toThrow("incompatible CNI versions");
  });

  it("reports an unparseable config version with code 6", () => {
    const e = cniError(() => checkVerbAllowed("CHECK", "adsfsadf", ALL));
    expect(e.code).toBe(6);
    expect(e.msg).toContain('"adsfsadf"');
  });

  it("reports an unparseable plugin version met before a match with code 6, and skips it after one", () => {
    expect(cniError(() => checkVerbAllowed("GC", "1.1.0", { supportedVersions: ["0.-42.0", "1.1.0"] })).code).toBe(6);
    expect(() => checkVerbAllowed("GC", "1.1.0", { supportedVersions: ["1.1.0", "0.-42.0"] })).not.toThrow();
  });
});
