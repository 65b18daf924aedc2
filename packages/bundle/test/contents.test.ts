/**
 * What a plugin bundle may carry. Every byte is parsed at every exec, so the
 * noop plugin (skel, types, version, zod/mini) must not drag in the runtime
 * side (invoke, libcni), namespace code, or zod's classic front-end and locales.
 */
import { dirname, resolve } from "node:path";
import { bundleCode } from "@tscni/bundle";
import { beforeAll, describe, expect, it } from "vitest";
import { packageNameOf } from "../src/plugin-main-check.js";
import { examplePlugins, repoRoot } from "./exec.js";

const NOOP_CEILING_BYTES = 150 * 1024;
const ALLOWED_PACKAGES = ["@tscni/example-noop", "@tscni/skel", "@tscni/types", "@tscni/version", "zod"];
const FORBIDDEN_TEXT = ["child_process", "nsenter", "iproute", "execPlugin", "CNI_CACHE", "conflist"];

let code: string;
let inputs: string[];
beforeAll(async () => {
  const bundled = await bundleCode({ entry: examplePlugins().noop as string, absWorkingDir: repoRoot });
  code = bundled.code;
  const output = Object.values(bundled.metafile.outputs)[0];
  inputs = Object.entries(output?.inputs ?? {})
    .filter(([, v]) => v.bytesInOutput > 0)
    .map(([path]) => path);
});

describe("the noop bundle", () => {
  it(`stays under ${NOOP_CEILING_BYTES / 1024} KB`, () => {
    expect(Buffer.byteLength(code)).toBeLessThan(NOOP_CEILING_BYTES);
  });

  it("contains code only from skel, types, version and zod", () => {
    const packages = new Set(inputs.map((p) => packageNameOf(resolve(repoRoot, p)) ?? `(no package: ${p})`));
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.includes(p))).toEqual([]);
    expect(packages.has("@tscni/skel")).toBe(true);
  });

  it("has neither zod's classic front-end nor its locales", () => {
    const zod = inputs.filter((p) => p.includes("node_modules/zod/"));
    expect(zod.length).toBeGreaterThan(0);
    expect(zod.filter((p) => /\/v4\/classic\/|\/locales\/(?!en\.)/.test(p))).toEqual([]);
  });

  it.each(FORBIDDEN_TEXT)("never mentions %s (exec, namespace, libcni code)", (text) => {
    expect(code.includes(text), `the noop bundle contains ${JSON.stringify(text)}`).toBe(false);
  });

  it("checks the bundle it measures: the source really is in the repository", () => {
    expect(dirname(examplePlugins().noop as string)).toContain(repoRoot);
  });
});
