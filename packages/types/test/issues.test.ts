import { describe, expect, it } from "vitest";
import * as zc from "zod";
import * as zm from "zod/mini";
import { describeValue, formatIssues, formatPath } from "@tscni/types/internal";

function format(schema: zm.ZodMiniType | zc.ZodType, value: unknown): string {
  const r = schema.safeParse(value, { reportInput: true });
  expect(r.success).toBe(false);
  return formatIssues(r.error!.issues, value);
}

describe("formatIssues", () => {
  it.each([
    ["a wrong type", zm.object({ a: zm.string() }), { a: 1 }, "a: expected string, got number 1"],
    ["a missing key", zm.object({ a: zm.string() }), {}, "a: expected string, missing"],
    ["an unknown key in a strict object", zm.strictObject({}), { x: 1, y: 2 }, '(root): unknown keys "x", "y"'],
    ["an enum", zm.enum(["a", "b"]), "c", '(root): expected "a" or "b", got "c"'],
    ["a short string", zm.string().check(zm.minLength(2)), "x", '(root): expected at least 2 characters, got "x"'],
    ["a long array", zm.array(zm.number()).check(zm.maxLength(1)), [1, 2], "(root): expected at most 1 items, got array [1,2]"],
    ["a small number", zm.number().check(zm.gt(3)), 3, "(root): expected > 3, got number 3"],
    ["a big number", zm.number().check(zm.lte(3)), 4, "(root): expected <= 3, got number 4"],
    ["a big exclusive number", zm.number().check(zm.lt(3)), 4, "(root): expected < 3, got number 4"],
    ["a multiple", zm.number().check(zm.multipleOf(5)), 7, "(root): expected a multiple of 5, got number 7"],
    ["an IPv4 format", zm.ipv4(), "1.2.3", '(root): expected an IPv4 address, got "1.2.3"'],
    ["a MAC", zm.mac(), "zz", '(root): expected a MAC address, got "zz"'],
    ["another format", zm.email(), "x", '(root): expected format email, got "x"'],
    ["an unsigned 32-bit integer", zm.uint32(), -1, "(root): expected >= 0, got number -1"],
    ["a union", zm.union([zm.cidrv4(), zm.cidrv6()]), "x", '(root): expected an IPv4 CIDR like 169.254.1.5/16 or an IPv6 CIDR like fd00::5/64, got "x"'],
    ["a union of objects", zm.union([zm.object({ a: zm.string() }), zm.object({ b: zm.string() })]), {}, "(root): matches none of the allowed forms, got object {}"],
    ["a record key", zm.record(zm.string().check(zm.minLength(2)), zm.string()), { b: "x" }, "b: has an invalid key, got \"b\""],
    ["a custom check", zm.string().check(zm.refine((s) => s.length > 3, "too short for a name")), "ab", '(root): too short for a name (got "ab")'],
    ["a custom check without message", zm.string().check(zm.refine((s) => s.length > 3)), "ab", '(root): is invalid (got "ab")'],
    ["a path with odd keys", zm.object({ "a b": zm.object({ "9x": zm.array(zm.string()) }) }), { "a b": { "9x": [1] } }, '["a b"]["9x"][0]: expected string, got number 1'],
    ["zod classic", zc.object({ port: zc.number().int() }), { port: 1.5 }, "port: expected an integer, got number 1.5"],
  ])("describes %s", (_name, schema, value, expected) => {
    expect(format(schema as zm.ZodMiniType, value)).toBe(expected);
  });

  it("joins several issues with semicolons", () => {
    expect(format(zm.object({ a: zm.string(), b: zm.number() }), { a: 1, b: "x" })).toBe('a: expected string, got number 1; b: expected number, got "x"');
  });

  it("finds the value in the root when an issue has no input", () => {
    expect(formatIssues([{ code: "invalid_type", expected: "string", path: ["a", 0] }], { a: [5] })).toBe("a[0]: expected string, got number 5");
    expect(formatIssues([{ code: "invalid_type", expected: "string", path: ["a", "b"] }], { a: 5 })).toBe("a.b: expected string, missing");
  });

  it("keeps a Standard Schema issue's own message and reads path segments given as {key}", () => {
    expect(formatIssues([{ message: "must be even", path: [{ key: "n" }], input: 3 }])).toBe("n: must be even (got number 3)");
    expect(formatIssues([{ message: "", path: [] }])).toBe("(root): is invalid (missing)");
  });

  it("describes an unknown code by its message, and an empty list generically", () => {
    expect(formatIssues([{ code: "weird", message: "strange thing", path: ["x"], input: true }])).toBe("x: strange thing, got boolean true");
    expect(formatIssues([{ code: "weird", message: "Invalid input", path: ["x"], input: true }])).toBe("x: is invalid, got boolean true");
    expect(formatIssues([{ code: "invalid_element", path: ["m"], input: 1 }])).toBe("m: has an invalid element, got number 1");
    expect(formatIssues([])).toBe("invalid value");
  });
});

describe("describeValue and formatPath", () => {
  it.each([
    [undefined, "nothing"],
    [null, "null"],
    ["s", '"s"'],
    [1n, "1n"],
    [() => 1, "function"],
    [Symbol("x"), "symbol"],
    [{ a: 1 }, 'object {"a":1}'],
    ["x".repeat(100), `"${"x".repeat(76)}...`],
  ])("describes %s", (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it("survives values JSON cannot print", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe("object [object Object]");
  });

  it("prints paths", () => {
    expect(formatPath(undefined)).toBe("(root)");
    expect(formatPath(["plugins", 0, "ipam", "type"])).toBe("plugins[0].ipam.type");
    expect(formatPath([Symbol.for("s")])).toBe('["Symbol(s)"]');
  });
});
