import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as zc from "zod";
import * as zm from "zod/mini";
import { CniError, parseCniArgs } from "@tscni/types";
import type { StandardSchemaV1 } from "@tscni/types";
import { cniError } from "../../../test/support/cni-error.js";

const K8S = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc123";

describe("parseCniArgs without a schema", () => {
  it.each([
    ["", {}],
    ["A=1", { A: "1" }],
    ["A=", { A: "" }],
    ["A=1;B=two", { A: "1", B: "two" }],
    ["A=1;A=2", { A: "2" }],
    [" A = 1 ", { " A ": " 1 " }],
    ["ip=1;IP=2", { ip: "1", IP: "2" }],
    [K8S, { IgnoreUnknown: "1", K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "web-0", K8S_POD_INFRA_CONTAINER_ID: "abc123" }],
  ])("reads %j", (raw, expected) => {
    expect(parseCniArgs(raw)).toEqual(expected);
  });

  it.each([
    ["A", "A"],
    ["A=1;", ""],
    [";A=1", ""],
    ["A=1;;B=2", ""],
    ["A=b=c", "A=b=c"],
    ["=v", "=v"],
    ["A=1;B", "B"],
  ])("rejects the malformed pair in %j with code 4 naming CNI_ARGS and the pair", (raw, piece) => {
    const e = cniError(() => parseCniArgs(raw));
    expect(e.code).toBe(4);
    expect(e.msg).toBe(`invalid pair ${JSON.stringify(piece)} in CNI_ARGS`);
    expect(e.details).toContain(JSON.stringify(raw));
  });

  it("treats a non-string input as empty", () => {
    expect(parseCniArgs(undefined as unknown as string)).toEqual({});
  });

  it("in strict mode rejects every key but IgnoreUnknown", () => {
    const e = cniError(() => parseCniArgs("A=1;B=2", undefined, { strict: true }));
    expect(e.code).toBe(4);
    expect(e.msg).toBe('unknown args in CNI_ARGS: ["A=1" "B=2"]');
    expect(e.details).toContain("no CNI_ARGS keys");
    expect(parseCniArgs("IgnoreUnknown=true;A=1", undefined, { strict: true })).toEqual({ IgnoreUnknown: "true", A: "1" });
  });
});

const schemas: [string, StandardSchemaV1<unknown, { IP?: string | undefined; PORT: number; DEBUG?: boolean | undefined }>][] = [
  ["zod classic", zc.object({ IP: zc.optional(zc.ipv4()), PORT: zc.coerce.number().int(), DEBUG: zc.optional(zc.stringbool()) })],
  ["zod/mini", zm.object({ IP: zm.optional(zm.ipv4()), PORT: zm.coerce.number().check(zm.int()), DEBUG: zm.optional(zm.stringbool()) })],
];

describe.each(schemas)("parseCniArgs with a %s schema", (_name, schema) => {
  it("validates and coerces the values it names and ignores the rest", () => {
    expect(parseCniArgs(`${K8S};IP=169.254.1.1;PORT=80;DEBUG=true`, schema)).toEqual({ IP: "169.254.1.1", PORT: 80, DEBUG: true });
  });

  it("names the key and the value when a value is invalid", () => {
    const e = cniError(() => parseCniArgs("IP=300.1.1.1;PORT=80", schema));
    expect(e.code).toBe(4);
    expect(e.msg).toBe('invalid value in CNI_ARGS pair "IP=300.1.1.1"');
    expect(e.details).toContain('IP: ');
    expect(e.details).toContain('"300.1.1.1"');
  });

  it("checks every occurrence of a repeated key; the last one wins", () => {
    expect(parseCniArgs("PORT=1;PORT=2", schema)).toEqual({ PORT: 2 });
    const e = cniError(() => parseCniArgs("PORT=x;PORT=2", schema));
    expect(e.msg).toBe('invalid value in CNI_ARGS pair "PORT=x"');
    expect(cniError(() => parseCniArgs("PORT=1;IgnoreUnknown=maybe;IgnoreUnknown=1", schema, { strict: true })).msg).toBe(
      'invalid value in CNI_ARGS pair "IgnoreUnknown=maybe"',
    );
  });

  it("reports a missing required key", () => {
    const e = cniError(() => parseCniArgs("IP=169.254.1.1", schema));
    expect(e.code).toBe(4);
    expect(e.msg).toBe("invalid CNI_ARGS");
    expect(e.details).toMatch(/^PORT: /);
  });

  it("in strict mode rejects unknown keys, listing them as Go does", () => {
    const e = cniError(() => parseCniArgs("PORT=1;K8S_POD_NAME=x;X=y", schema, { strict: true }));
    expect(e.msg).toBe('unknown args in CNI_ARGS: ["K8S_POD_NAME=x" "X=y"]');
    expect(e.details).toBe("this plugin accepts IP, PORT, DEBUG; add IgnoreUnknown=1 to allow others");
  });

  it.each(["1", "true", "TRUE", "True"])("in strict mode honours IgnoreUnknown=%s wherever it is", (flag) => {
    expect(parseCniArgs(`PORT=1;X=y;IgnoreUnknown=${flag}`, schema, { strict: true })).toEqual({ PORT: 1 });
  });

  it.each(["0", "false", "FALSE"])("in strict mode IgnoreUnknown=%s does not allow unknown keys", (flag) => {
    expect(cniError(() => parseCniArgs(`PORT=1;X=y;IgnoreUnknown=${flag}`, schema, { strict: true })).msg).toBe('unknown args in CNI_ARGS: ["X=y"]');
  });

  it.each(["yes", ""])("in strict mode refuses IgnoreUnknown=%j, as Go's boolean parser does", (flag) => {
    const e = cniError(() => parseCniArgs(`PORT=1;IgnoreUnknown=${flag}`, schema, { strict: true }));
    expect(e.code).toBe(4);
    expect(e.msg).toBe(`invalid value in CNI_ARGS pair "IgnoreUnknown=${flag}"`);
  });

  it("in lenient mode does not look at IgnoreUnknown", () => {
    expect(parseCniArgs("PORT=1;IgnoreUnknown=maybe", schema)).toEqual({ PORT: 1 });
  });
});

describe("parseCniArgs with any Standard Schema", () => {
  it("passes every pair to a schema whose keys it cannot see, and uses its issue messages", () => {
    const custom: StandardSchemaV1<unknown, { n: number }> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: (v) => {
          const o = v as Record<string, string>;
          return o.N && /^\d+$/.test(o.N) ? { value: { n: Number(o.N) } } : { issues: [{ message: "N must be digits", path: [{ key: "N" }] }] };
        },
      },
    };
    expect(parseCniArgs("N=42;OTHER=1", custom)).toEqual({ n: 42 });
    const e = cniError(() => parseCniArgs("N=x", custom));
    expect(e.msg).toBe('invalid value in CNI_ARGS pair "N=x"');
    expect(e.details).toBe('N: N must be digits (got "x")');
  });

  it("refuses an asynchronous schema with a clear error instead of a pending promise", () => {
    const asyncSchema: StandardSchemaV1 = { "~standard": { version: 1, vendor: "test", validate: async (v) => ({ value: v }) } };
    const e = cniError(() => parseCniArgs("A=1", asyncSchema));
    expect(e.code).toBe(999);
    expect(e.msg).toBe("the CNI_ARGS schema is asynchronous");
  });
});

describe("parseCniArgs on random input", () => {
  it("returns exactly the pairs of any well-formed string", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
    const value = fc.string().filter((s) => !s.includes("=") && !s.includes(";"));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (pairs) => {
        const raw = Object.entries(pairs).map(([k, v]) => `${k}=${v}`).join(";");
        expect(parseCniArgs(raw)).toEqual(Object.keys(pairs).length ? { ...pairs } : {});
      }),
    );
  });

  it("never throws anything but a code-4 CniError", () => {
    fc.assert(
      fc.property(fc.string(), fc.boolean(), (raw, strict) => {
        try {
          parseCniArgs(raw, schemas[1]![1], { strict });
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          expect((e as CniError).code).toBe(4);
        }
      }),
      { numRuns: 500 },
    );
  });
});
