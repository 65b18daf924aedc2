import { describe, expect, it } from "vitest";
import { CniError, ErrorCode, isCniError, toCniError } from "@tscni/types";

describe("CniError", () => {
  it("carries the wire fields and a message joining msg and details", () => {
    const e = new CniError(ErrorCode.InvalidNetworkConfig, "bad config", "name: expected string");
    expect([e.code, e.msg, e.details, e.message, e.name]).toEqual([7, "bad config", "name: expected string", "bad config; name: expected string", "CniError"]);
    expect(e.toObject("1.1.0")).toEqual({ cniVersion: "1.1.0", code: 7, msg: "bad config", details: "name: expected string" });
    expect(new CniError(1, "x").toObject()).toEqual({ code: 1, msg: "x" });
  });

  it("round-trips through its wire object", () => {
    const e = CniError.fromObject({ code: 11, msg: "busy", details: "retry" });
    expect([e.code, e.msg, e.details]).toEqual([11, "busy", "retry"]);
    expect(isCniError(e)).toBe(true);
    expect(isCniError(new Error("x"))).toBe(false);
  });

  it("wraps anything else thrown as code 999", () => {
    const cni = new CniError(3, "gone");
    expect(toCniError(cni)).toBe(cni);
    expect(toCniError(new TypeError("boom")).toObject()).toEqual({ code: 999, msg: "boom" });
    expect(toCniError(new Error("")).msg).toBe("Error");
    expect(toCniError("text").toObject()).toEqual({ code: 999, msg: "text" });
  });

  it("names the spec's well-known codes", () => {
    expect(Object.values(ErrorCode)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 11, 50, 51, 999]);
  });
});
