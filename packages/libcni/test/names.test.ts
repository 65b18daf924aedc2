import { basename, dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cacheFilePath, validateContainerId, validateInterfaceName, validateNetworkName } from "@tscni/libcni";
import { CniError } from "@tscni/types";

const CACHE = "/var/lib/cni-test";

// Strings built to look like attacks, mixed with arbitrary Unicode.
const hostile = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("..", ".", "../x", "a/../../b", "/etc/passwd", "a\0b", "eth0\n", "a:b", "x y", "-", "_a", "a".repeat(16)),
  fc.array(fc.constantFrom("a", "0", ".", "/", "-", "_", ":", " "), { maxLength: 12 }).map((a) => a.join("")),
);

describe("names that become cache file names", () => {
  it("either refuse with a CniError or name a file directly inside <cacheDir>/results", () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (net, cid, ifName) => {
        let file: string;
        try {
          file = cacheFilePath(CACHE, net, cid, ifName);
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          return;
        }
        expect(dirname(file)).toBe(join(CACHE, "results"));
        expect(basename(file)).toBe(`${net}-${cid}-${ifName}`);
      }),
      { numRuns: 2000 },
    );
  });

  it("follow Go's rules and codes", () => {
    expect(() => validateContainerId("k8s_pod.1-a")).not.toThrow();
    expect(() => validateContainerId(".hidden")).toThrow("invalid characters in containerID");
    expect(() => validateNetworkName("-net")).toThrow("invalid characters found in network name");
    expect(() => validateInterfaceName("eth0")).not.toThrow();
    // 15 bytes is the limit, counted in UTF-8: five 3-byte characters fit, six do not.
    expect(() => validateInterfaceName("€".repeat(6))).toThrow("interface name is too long");
    expect(() => validateInterfaceName("€".repeat(5))).not.toThrow();
    expect(() => validateInterfaceName("eth\u00a00")).toThrow("whitespace");
    for (const [fn, code] of [
      [() => validateContainerId("a/b"), 4],
      [() => validateNetworkName("a/b"), 7],
      [() => validateInterfaceName("a/b"), 4],
    ] as const) {
      try {
        fn();
      } catch (e) {
        expect((e as CniError).code).toBe(code);
        continue;
      }
      throw new Error("expected a refusal");
    }
  });
});
