import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confFiles, loadNetworkConfList, parseConfList, pluginConfFromObject } from "@tscni/libcni";
import { Sandbox } from "./helpers.js";
import { cniRejection } from "../../../test/support/cni-error.js";

describe("parseConfList", () => {
  it("keeps the raw bytes and re-serialises each plugin with sorted keys", () => {
    const text = '{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"b","z":1,"a":{"y":2,"x":1}}]}';
    const list = parseConfList(text);
    expect(list.bytes).toBe(text);
    expect(list.plugins[0]!.bytes).toBe('{"a":{"x":1,"y":2},"type":"b","z":1}');
    expect([list.disableCheck, list.disableGC, list.loadOnlyInlinedPlugins]).toEqual([false, false, false]);
  });

  it("picks the highest supported version from cniVersions and cniVersion", () => {
    const pick = (extra: object) => parseConfList(JSON.stringify({ name: "n", plugins: [{ type: "t" }], ...extra })).cniVersion;
    expect(pick({ cniVersions: ["0.4.0", "1.0.0", "9.9.9"] })).toBe("1.0.0");
    expect(pick({ cniVersion: "1.1.0", cniVersions: ["0.3.1"] })).toBe("1.1.0");
    expect(pick({ cniVersions: [] })).toBe("");
    // Without cniVersions the version is taken verbatim, too new or not.
    expect(pick({ cniVersion: "1.2.3" })).toBe("1.2.3");
    expect(() => pick({ cniVersions: ["1.0.0-rc1"] })).toThrow('invalid version "1.0.0-rc1" in cniVersions');
  });

  it("accepts flags as booleans or true/false strings in any case, and nothing else", () => {
    const flags = (v: unknown) => parseConfList(JSON.stringify({ name: "n", disableCheck: v, plugins: [{ type: "t" }] })).disableCheck;
    expect([flags(true), flags("TRUE"), flags("False")]).toEqual([true, true, false]);
    expect(() => flags("yes")).toThrow(/disableCheck/);
    expect(() => flags(1)).toThrow(/disableCheck/);
  });

  it("rejects what Go rejects, naming the problem", () => {
    expect(() => parseConfList("[]")).toThrow("error parsing configuration list: not a JSON object");
    expect(() => parseConfList("{")).toThrow(/error parsing configuration list/);
    expect(() => parseConfList('{"plugins":[]}')).toThrow("no name");
    expect(() => parseConfList('{"name":"n","plugins":[]}')).toThrow("no plugins in list");
    expect(() => parseConfList('{"name":"n","plugins":{}}')).toThrow(/plugins/);
    expect(() => parseConfList('{"name":"n","plugins":[{"type":""}]}')).toThrow("plugin config 0: missing 'type'");
    expect(() => parseConfList('{"name":"n","plugins":[{"type":"a","capabilities":{"x":1}}]}')).toThrow(/capabilities/);
    expect(() => parseConfList('{"name":"n","loadOnlyInlinedPlugins":true}')).toThrow("no plugins in list");
  });
});

describe("loading from a directory", () => {
  let s: Sandbox;
  beforeEach(() => (s = new Sandbox()));
  afterEach(() => s.cleanup());

  it("searches .conflist files in byte order, first name match wins", async () => {
    s.conf("20-b.conflist", { name: "net", cniVersion: "1.0.0", plugins: [{ type: "second" }] });
    s.conf("10-a.conflist", { name: "net", cniVersion: "1.0.0", plugins: [{ type: "first" }] });
    s.conf("05-other.conflist", { name: "other", cniVersion: "1.0.0", plugins: [{ type: "x" }] });
    const list = await loadNetworkConfList(s.confDir, "net");
    expect(list.plugins.map((p) => p.network.type)).toEqual(["first"]);
  });

  it("names a broken file when it is the network asked for", async () => {
    s.conf("10-broken.conflist", '{"name":"net","plugins":[{"type":""}]}');
    s.conf("20-net.conflist", { name: "net", plugins: [{ type: "x" }] });
    const e = await cniRejection(loadNetworkConfList(s.confDir, "net"));
    expect(e.message).toContain(join(s.confDir, "10-broken.conflist"));
    expect(e.msg).toContain("missing 'type'");
  });

  it("skips a broken file, naming it in a warning, when looking up another network", async () => {
    const deep = `{"name":"deep","plugins":[{"type":"x","a":${"[".repeat(5000)}${"]".repeat(5000)}}]}`;
    s.conf("05-deep.conflist", deep);
    s.conf("06-notjson.conflist", "{not json");
    s.conf("07-nul.conflist", { name: "bad\u0000name", plugins: [{ type: "x" }] });
    s.conf("08-long.conflist", { name: "n".repeat(256), plugins: [{ type: "x" }] });
    s.conf("09-long.conf", { name: "m".repeat(300), type: "x" });
    s.conf("20-net.conflist", { name: "net", plugins: [{ type: "wanted" }] });
    const warnings: string[] = [];
    const list = await loadNetworkConfList(s.confDir, "net", { onWarning: (m) => warnings.push(m) });
    expect(list.plugins.map((p) => p.network.type)).toEqual(["wanted"]);
    expect(warnings).toEqual([
      `skipping ${join(s.confDir, "05-deep.conflist")}: error parsing configuration list: nested deeper than 512 levels`,
      expect.stringMatching(new RegExp(`^skipping ${join(s.confDir, "06-notjson.conflist")}: .*error parsing configuration list`)),
      `skipping ${join(s.confDir, "07-nul.conflist")}: invalid characters found in network name: "bad\\u0000name"`,
      `skipping ${join(s.confDir, "08-long.conflist")}: network name is 256 bytes long, more than 255`,
    ]);
    // Not found: the skipped files are listed (the single .conf is reached only now).
    const e = await cniRejection(loadNetworkConfList(s.confDir, "other"));
    expect(e.msg).toBe(`no net configuration with name "other" in ${s.confDir}`);
    expect(e.details).toContain("skipped 5 file(s)");
    expect(e.details).toContain(`${join(s.confDir, "09-long.conf")}: network name is 300 bytes long, more than 255`);
  });

  it("names the file when the network asked for is nested too deep or has an unusable name", async () => {
    s.conf("05-deep.conflist", `{"name":"deep","plugins":[{"type":"x","a":${"[".repeat(5000)}${"]".repeat(5000)}}]}`);
    s.conf("08-long.conflist", { name: "n".repeat(256), plugins: [{ type: "x" }] });
    const deep = await cniRejection(loadNetworkConfList(s.confDir, "deep"));
    expect([deep.code, deep.msg]).toEqual([6, `${join(s.confDir, "05-deep.conflist")}: error parsing configuration list: nested deeper than 512 levels`]);
    const long = await cniRejection(loadNetworkConfList(s.confDir, "n".repeat(256)));
    expect([long.code, long.msg]).toEqual([7, `${join(s.confDir, "08-long.conflist")}: network name is 256 bytes long, more than 255`]);
  });

  it("sortedJson refuses a value nested deeper than the limit instead of overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { a: [deep] };
    expect(() => pluginConfFromObject({ type: "x", deep }, "plugin config 0")).toThrow("nested deeper than 512 levels");
    let ok: unknown = 1;
    for (let i = 0; i < 255; i++) ok = { a: [ok] };
    expect(pluginConfFromObject({ type: "x", ok }, "plugin config 0").bytes.length).toBeGreaterThan(2000);
  });

  it("appends drop-in plugin files from <dir>/<name>/*.conf unless loadOnlyInlinedPlugins", async () => {
    s.conf("10.conflist", { name: "net", cniVersion: "1.0.0", plugins: [{ type: "inline" }] });
    mkdirSync(join(s.confDir, "net"));
    writeFileSync(join(s.confDir, "net", "b.conf"), '{"type":"dropin-b"}');
    writeFileSync(join(s.confDir, "net", "a.conf"), '{"type":"dropin-a"}');
    writeFileSync(join(s.confDir, "net", "c.json"), '{"type":"ignored"}');
    expect((await loadNetworkConfList(s.confDir, "net")).plugins.map((p) => p.network.type)).toEqual(["inline", "dropin-a", "dropin-b"]);
    s.conf("10.conflist", { name: "net", cniVersion: "1.0.0", loadOnlyInlinedPlugins: true, plugins: [{ type: "inline" }] });
    expect((await loadNetworkConfList(s.confDir, "net")).plugins.map((p) => p.network.type)).toEqual(["inline"]);
  });

  it("builds a list from drop-ins alone, and fails when there are none", async () => {
    s.conf("10.conflist", { name: "net", cniVersion: "1.0.0" });
    const e = await cniRejection(loadNetworkConfList(s.confDir, "net"));
    expect(e.msg).toContain("no plugin configs found");
    mkdirSync(join(s.confDir, "net"));
    writeFileSync(join(s.confDir, "net", "a.conf"), '{"type":"only"}');
    expect((await loadNetworkConfList(s.confDir, "net")).plugins.map((p) => p.network.type)).toEqual(["only"]);
  });

  it("never follows a network name out of the config directory for drop-ins", async () => {
    mkdirSync(join(s.dir, "evil"));
    writeFileSync(join(s.dir, "evil", "x.conf"), '{"type":"planted"}');
    s.conf("10.conflist", { name: "../evil", cniVersion: "1.0.0", plugins: [{ type: "inline" }] });
    const e = await cniRejection(loadNetworkConfList(s.confDir, "../evil"));
    expect(e.msg).toBe(`${join(s.confDir, "10.conflist")}: invalid characters found in network name: "../evil"`);
  });

  it("falls back to single .conf/.json configs wrapped into a list", async () => {
    s.conf("10.conf", { name: "single", cniVersion: "0.4.0", type: "bridge", bridge: "br0" });
    const list = await loadNetworkConfList(s.confDir, "single");
    expect([list.name, list.cniVersion, list.plugins.length]).toEqual(["single", "0.4.0", 1]);
    expect(JSON.parse(list.bytes)).toEqual({ cniVersion: "0.4.0", name: "single", plugins: [{ name: "single", cniVersion: "0.4.0", type: "bridge", bridge: "br0" }] });
  });

  it("says what is missing", async () => {
    expect((await cniRejection(loadNetworkConfList(s.confDir, "x"))).msg).toBe(`no net configurations found in ${s.confDir}`);
    s.conf("10.conflist", { name: "a", plugins: [{ type: "x" }] });
    expect((await cniRejection(loadNetworkConfList(s.confDir, "x"))).msg).toBe(`no net configuration with name "x" in ${s.confDir}`);
    expect(await confFiles(join(s.dir, "missing"), ["conf"])).toEqual([]);
  });

  it("skips directories with a config extension", async () => {
    mkdirSync(join(s.confDir, "dir.conflist"));
    s.conf("z.conflist", { name: "z", plugins: [{ type: "x" }] });
    expect(await confFiles(s.confDir, ["conflist"])).toEqual([join(s.confDir, "z.conflist")]);
  });
});
