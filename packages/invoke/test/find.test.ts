import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findInPath, splitCniPath } from "@tscni/invoke";
import { stubDir } from "./stubs.js";
import { cniError } from "../../../test/support/cni-error.js";

describe("findInPath", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  it("returns the first directory's match", () => {
    const a = join(s.dir, "a");
    const b = join(s.dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(b, "p"), "");
    writeFileSync(join(a, "p"), "");
    expect(findInPath("p", [b, a])).toBe(join(b, "p"));
    expect(findInPath("p", [a, b])).toBe(join(a, "p"));
  });

  it("skips a directory of the plugin's name", () => {
    const a = join(s.dir, "a");
    mkdirSync(join(a, "p"), { recursive: true });
    const b = join(s.dir, "b");
    mkdirSync(b);
    writeFileSync(join(b, "p"), "");
    expect(findInPath("p", [a, b])).toBe(join(b, "p"));
  });

  it("rejects empty names, names with a path separator, and an empty path list", () => {
    expect(() => findInPath("", [s.dir])).toThrow("no plugin name provided");
    expect(() => findInPath("../../bin/sh", [s.dir])).toThrow("invalid plugin name: ../../bin/sh");
    expect(() => findInPath("..", [s.dir])).toThrow("invalid plugin name");
    const e = cniError(() => findInPath("p", []));
    expect(e.msg).toBe("no paths provided");
    expect(e.details).toContain("CNI_PATH");
  });

  it("names every searched directory when not found", () => {
    expect(() => findInPath("nope", ["/x", s.dir])).toThrow(`failed to find plugin "nope" in path [/x ${s.dir}]`);
  });

  it("splits CNI_PATH dropping empty entries", () => {
    expect(splitCniPath("/a::/b:")).toEqual(["/a", "/b"]);
    expect(splitCniPath(undefined)).toEqual([]);
  });
});
