import { describe, expect, it } from "vitest";
import { attachmentSchema, errorObjectSchema, netConfListSchema, netConfSchema, versionInfoSchema } from "@tscni/types/schemas";
import { formatIssues } from "@tscni/types/internal";
import { VERSIONS } from "./fixtures.js";

function issuesOf(schema: { safeParse: (v: unknown, o: { reportInput: boolean }) => any }, value: unknown): string {
  const r = schema.safeParse(value, { reportInput: true });
  expect(r.success).toBe(false);
  return formatIssues(r.error.issues, value);
}

describe.each(VERSIONS)("netConfSchema with cniVersion %s", (version) => {
  const conf = {
    cniVersion: version,
    name: "net1",
    type: "bridge",
    bridge: "cni0",
    capabilities: { portMappings: true },
    ipam: { type: "host-local", subnet: "169.254.0.0/16" },
    dns: { nameservers: ["169.254.0.53"] },
    args: { cni: { labels: [] } },
    runtimeConfig: { portMappings: [] },
    prevResult: { cniVersion: version },
    "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
  };

  it("accepts a full config and passes the plugin's own keys through", () => {
    const r = netConfSchema().safeParse(conf);
    expect(r.success).toBe(true);
    expect(r.data).toEqual(conf);
  });
});

describe("netConfSchema", () => {
  it("reads a missing or empty cniVersion as 0.1.0", () => {
    expect(netConfSchema().parse({ name: "n", type: "t" }).cniVersion).toBe("0.1.0");
    expect(netConfSchema().parse({ cniVersion: "", name: "n", type: "t" }).cniVersion).toBe("0.1.0");
  });

  it("names each bad field, what was expected and the value", () => {
    expect(issuesOf(netConfSchema(), { cniVersion: 1, name: "n", type: ["x"], capabilities: { a: "yes" }, "cni.dev/attachments": [{ containerID: "c" }] })).toBe(
      'cniVersion: expected string, got number 1; type: expected string, got array ["x"]; capabilities.a: expected boolean, got "yes"; ["cni.dev/attachments"][0].ifname: expected string, missing',
    );
  });

  it("accepts null attachments (libcni sends null for an empty list)", () => {
    expect(netConfSchema().safeParse({ name: "n", type: "t", "cni.dev/valid-attachments": null }).success).toBe(true);
  });

  it("requires name and type", () => {
    expect(issuesOf(netConfSchema(), {})).toBe("name: expected string, missing; type: expected string, missing");
  });

  it("is built once", () => {
    expect(netConfSchema()).toBe(netConfSchema());
  });
});

describe("netConfListSchema", () => {
  const list = { cniVersion: "1.1.0", cniVersions: ["1.0.0", "1.1.0"], name: "l", plugins: [{ type: "bridge", capabilities: { ips: true }, x: 1 }] };

  it("accepts a list with plugins and keeps unknown keys", () => {
    expect(netConfListSchema().parse({ ...list, other: 2 })).toEqual({ ...list, other: 2 });
  });

  it.each([
    [true, true],
    [false, false],
    ["true", true],
    ["TRUE", true],
    ["False", false],
  ])("reads the flag value %j as %j, as libcni does", (value, expected) => {
    const parsed = netConfListSchema().parse({ ...list, disableCheck: value, disableGC: value, loadOnlyInlinedPlugins: value });
    expect([parsed.disableCheck, parsed.disableGC, parsed.loadOnlyInlinedPlugins]).toEqual([expected, expected, expected]);
  });

  it("rejects other flag values, naming the key", () => {
    expect(issuesOf(netConfListSchema(), { ...list, disableCheck: "yes" })).toMatch(/^disableCheck: /);
    expect(issuesOf(netConfListSchema(), { ...list, disableGC: 1 })).toMatch(/^disableGC: .*got number 1$/);
  });

  it("requires a non-empty type on every plugin", () => {
    expect(issuesOf(netConfListSchema(), { ...list, plugins: [{ type: "" }] })).toBe('plugins[0].type: expected at least 1 characters, got ""');
  });
});

describe("the small schemas", () => {
  it("errorObjectSchema reads a wire error and defaults a missing msg to empty", () => {
    expect(errorObjectSchema().parse({ code: 7, msg: "bad", details: "d", cniVersion: "1.0.0" })).toEqual({ code: 7, msg: "bad", details: "d", cniVersion: "1.0.0" });
    expect(errorObjectSchema().parse({ code: 999 })).toEqual({ code: 999, msg: "" });
    expect(issuesOf(errorObjectSchema(), { code: -1, msg: "x" })).toBe("code: expected >= 0, got number -1");
  });

  it("versionInfoSchema and attachmentSchema", () => {
    expect(versionInfoSchema().parse({ cniVersion: "1.0.0", supportedVersions: ["1.0.0"] })).toEqual({ cniVersion: "1.0.0", supportedVersions: ["1.0.0"] });
    expect(issuesOf(versionInfoSchema(), { cniVersion: "1.0.0", supportedVersions: [1] })).toBe("supportedVersions[0]: expected string, got number 1");
    expect(attachmentSchema().parse({ containerID: "c", ifname: "eth0", x: 1 })).toEqual({ containerID: "c", ifname: "eth0" });
  });
});
