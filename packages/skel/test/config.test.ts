/** stdin: reading, decoding, the network name, the standard fields and the plugin's own schema. */
import { describe, expect, expectTypeOf, it } from "vitest";
import * as zc from "zod";
import * as zm from "zod/mini";
import { definePlugin } from "@tscni/skel";
import type { StandardSchemaV1 } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { configFor, envFor, errorOf, recorder } from "./helpers.js";

describe("reading and decoding stdin", () => {
  it("a stdin read failure is code 5", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, {
      env: envFor("ADD"),
      stdin: () => Promise.reject(new Error("EIO: i/o error, read")),
    });
    expect(run.json).toEqual({ cniVersion: "1.1.0", code: 5, msg: "error reading from stdin: EIO: i/o error, read" });
  });

  it("accepts stdin as a Buffer and as a function", async () => {
    const { plugin, calls } = recorder();
    await runPlugin(plugin, { env: envFor("DEL"), stdin: Buffer.from(configFor("1.0.0")) });
    await runPlugin(plugin, { env: envFor("DEL"), stdin: async () => Buffer.from(configFor("0.4.0")) });
    expect(calls.map((c) => c.config.cniVersion)).toEqual(["1.0.0", "0.4.0"]);
  });

  it.each([
    ["", "error decoding network configuration: stdin is empty"],
    ["  \n", "error decoding network configuration: stdin is empty"],
    ["{not json", /^error decoding network configuration: /],
    ['{"name":"a"} trailing', /^error decoding network configuration: /],
    ["[]", "error decoding network configuration: expected a JSON object"],
    ["42", "error decoding network configuration: expected a JSON object"],
    ['"text"', "error decoding network configuration: expected a JSON object"],
  ])("%j is code 6", async (stdin, msg) => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin });
    expect(run.exitCode).toBe(1);
    expect(errorOf(run.json).code).toBe(6);
    expect(errorOf(run.json).msg).toMatch(msg);
    expect(calls).toHaveLength(0);
  });

  it("a cniVersion that is not a string is code 6", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: '{"cniVersion":1,"name":"n","type":"t"}' });
    expect(errorOf(run.json)).toMatchObject({ code: 6, msg: "decoding version from network config: cniVersion must be a string" });
  });

  it("no cniVersion means 0.1.0", async () => {
    const { plugin, calls } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: '{"name":"n","type":"t"}' });
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ cniVersion: "0.1.0", ip4: { ip: "169.254.1.2/16" } });
    expect(calls[0]!.config.cniVersion).toBe("0.1.0");
  });

  it("a syntactically bad version is code 1 on ADD (never parsed) and code 6 on CHECK (parsed)", async () => {
    const { plugin } = recorder();
    const add = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("adsfsadf") });
    expect(errorOf(add.json)).toMatchObject({ cniVersion: "1.1.0", code: 1, msg: "incompatible CNI versions" });
    const check = await runPlugin(plugin, { env: envFor("CHECK"), stdin: configFor("adsfsadf") });
    expect(errorOf(check.json).code).toBe(6);
  });

  it("CHECK with a version newer than any the plugin lists is code 1 `plugin version does not allow CHECK`", async () => {
    const { plugin } = recorder({ versions: ["0.4.0", "1.0.0"] });
    const run = await runPlugin(plugin, { env: envFor("CHECK"), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 1, msg: "plugin version does not allow CHECK", cniVersion: "1.0.0" });
  });
});

describe("network name", () => {
  it.each([
    ["null", "missing network name", undefined],
    ['{"cniVersion":"1.1.0","type":"t"}', "missing network name", undefined],
    ['{"cniVersion":"1.1.0","name":"","type":"t"}', "missing network name", undefined],
    ['{"cniVersion":"1.1.0","name":"my net","type":"t"}', "invalid characters found in network name", "my net"],
    ['{"cniVersion":"1.1.0","name":"-net","type":"t"}', "invalid characters found in network name", "-net"],
    ['{"cniVersion":"1.1.0","name":5,"type":"t"}', "invalid network name", "name: expected string, got 5"],
  ])("%s is code 7: %s", async (stdin, msg, details) => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin });
    expect(errorOf(run.json)).toMatchObject({ code: 7, msg, ...(details && { details }) });
  });
});

describe("the standard fields", () => {
  it("a missing type is code 7 naming the field", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: '{"cniVersion":"1.0.0","name":"n"}' });
    const error = errorOf(run.json);
    expect(error).toMatchObject({ cniVersion: "1.0.0", code: 7, msg: "invalid network configuration" });
    expect(error.details).toMatch(/^type: /);
  });

  it("a wrong ipam is code 7 naming the field path and the value", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.1.0", { ipam: { type: 42 } }) });
    const error = errorOf(run.json);
    expect(error.code).toBe(7);
    expect(error.details).toContain("ipam.type");
    expect(error.details).toContain("42");
  });

  it("an unparseable prevResult is code 7 naming prevResult", async () => {
    const { plugin, calls } = recorder();
    const prevResult = { cniVersion: "1.0.0", ips: [{ address: "not-an-ip" }] };
    const run = await runPlugin(plugin, { env: envFor("CHECK"), stdin: configFor("1.0.0", { prevResult }) });
    const error = errorOf(run.json);
    expect(error.code).toBe(7);
    expect(error.msg).toMatch(/^invalid prevResult/);
    expect(`${error.msg} ${error.details}`).toContain("not-an-ip");
    expect(calls).toHaveLength(0);
  });

  it("a prevResult that is not an object is code 7 naming prevResult", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0", { prevResult: "x" }) });
    expect(errorOf(run.json)).toMatchObject({ code: 7 });
    expect(errorOf(run.json).details).toContain("prevResult");
  });

  it("a prevResult of an unknown version is code 7", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0", { prevResult: { cniVersion: "7.0.0" } }) });
    expect(errorOf(run.json)).toMatchObject({ code: 7 });
    expect(errorOf(run.json).msg).toContain("7.0.0");
  });

  it("GC reads cni.dev/valid-attachments, and cni.dev/attachments when only that is sent", async () => {
    const { plugin, calls } = recorder();
    const valid = [{ containerID: "c1", ifname: "eth0" }];
    const old = [{ containerID: "c2", ifname: "net1" }];
    await runPlugin(plugin, { env: envFor("GC"), stdin: configFor("1.1.0", { "cni.dev/valid-attachments": valid, "cni.dev/attachments": old }) });
    await runPlugin(plugin, { env: envFor("GC"), stdin: configFor("1.1.0", { "cni.dev/attachments": old }) });
    await runPlugin(plugin, { env: envFor("GC"), stdin: configFor("1.1.0", { "cni.dev/valid-attachments": null }) });
    expect(calls.map((c) => c.validAttachments)).toEqual([valid, old, []]);
  });

  it("a malformed attachment list is code 7", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("GC"), stdin: configFor("1.1.0", { "cni.dev/valid-attachments": [{ containerID: 1 }] }) });
    expect(errorOf(run.json).code).toBe(7);
    expect(errorOf(run.json).details).toContain("cni.dev/valid-attachments");
  });
});

/** A Standard Schema written by hand, as any other validation library would provide it. */
function handWritten(): StandardSchemaV1<unknown, { bridge: string }> {
  return {
    "~standard": {
      version: 1,
      vendor: "hand",
      validate: (value) => {
        const bridge = (value as { bridge?: unknown }).bridge;
        return typeof bridge === "string"
          ? { value: { bridge } }
          : { issues: [{ message: "bridge must be a string", path: [{ key: "bridge" }] }] };
      },
    },
  };
}

describe("the plugin's own config schema", () => {
  const schemas = {
    "zod classic": () => zc.object({ mtu: zc.number().int().min(576), bridge: zc.string().default("cni0") }),
    "zod/mini": () => zm.object({ mtu: zm.number().check(zm.int(), zm.minimum(576)), bridge: zm._default(zm.string(), "cni0") }),
  };

  describe.each(Object.keys(schemas) as (keyof typeof schemas)[])("%s", (kind) => {
    it("its output is merged over the standard fields", async () => {
      const plugin = definePlugin({
        config: schemas[kind](),
        add: (args) => {
          expectTypeOf(args.config.mtu).toEqualTypeOf<number>();
          expectTypeOf(args.config.bridge).toEqualTypeOf<string>();
          expectTypeOf(args.config.name).toEqualTypeOf<string>();
          return { ips: [{ address: "169.254.3.3/16" }] };
        },
        del: () => {},
        check: (args) => {
          seen.push(args.config);
        },
      });
      const seen: unknown[] = [];
      const run = await runPlugin(plugin, { env: envFor("CHECK"), stdin: configFor("1.1.0", { mtu: 1500, ipam: { type: "host-local" } }) });
      expect(run.exitCode).toBe(0);
      expect(seen[0]).toMatchObject({ cniVersion: "1.1.0", name: "testnet", type: "recorder", mtu: 1500, bridge: "cni0", ipam: { type: "host-local" } });
    });

    it("a failure is code 7 naming the field and the value", async () => {
      const { plugin } = recorder({ config: schemas[kind]() });
      const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("0.4.0", { mtu: 100 }) });
      const error = errorOf(run.json);
      expect(error).toMatchObject({ cniVersion: "0.4.0", code: 7, msg: "invalid network configuration" });
      expect(error.details).toContain("mtu");
      expect(error.details).toContain("100");
    });
  });

  it("any Standard Schema works, including a hand-written one", async () => {
    const { plugin, calls } = recorder({ config: handWritten() });
    expect((await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { bridge: "br0" }) })).exitCode).toBe(0);
    expect(calls[0]!.config.bridge).toBe("br0");
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { bridge: 7 }) });
    expect(errorOf(run.json)).toMatchObject({ code: 7 });
    expect(errorOf(run.json).details).toBe("bridge: bridge must be a string (got number 7)");
  });

  it("an asynchronous schema is awaited", async () => {
    const schema = zc.object({ vlan: zc.number() }).refine(async (c) => c.vlan < 4095, { message: "vlan out of range", path: ["vlan"] });
    const { plugin } = recorder({ config: schema });
    expect((await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { vlan: 10 }) })).exitCode).toBe(0);
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0", { vlan: 5000 }) });
    expect(errorOf(run.json).details).toContain("vlan out of range");
  });

  it("a schema whose output is not an object leaves the standard fields", async () => {
    const { plugin, calls } = recorder({ config: zm.pipe(zm.unknown(), zm.transform(() => 42)) });
    expect((await runPlugin(plugin, { env: envFor("DEL"), stdin: configFor("1.1.0") })).exitCode).toBe(0);
    expect(calls[0]!.config.name).toBe("testnet");
  });
});

describe("CNI_ARGS", () => {
  const argsSchema = () => zm.object({ K8S_POD_NAME: zm.optional(zm.string()), VLAN: zm.optional(zm.coerce.number()) });

  it("is lenient by default: unknown keys are ignored, known ones typed", async () => {
    const plugin = definePlugin({
      args: argsSchema(),
      add: (a) => {
        expectTypeOf(a.args.VLAN).toEqualTypeOf<number | undefined>();
        seen.push(a.args);
        return { ips: [{ address: "169.254.3.3/16" }] };
      },
      del: () => {},
    });
    const seen: unknown[] = [];
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_ARGS: "K8S_POD_NAME=web;VLAN=12;OTHER=x" }), stdin: configFor("1.1.0") });
    expect(run.exitCode).toBe(0);
    expect(seen[0]).toEqual({ K8S_POD_NAME: "web", VLAN: 12 });
  });

  it("strictArgs rejects unknown keys with code 4", async () => {
    const { plugin } = recorder({ args: argsSchema(), strictArgs: true });
    const run = await runPlugin(plugin, { env: envFor("ADD", { CNI_ARGS: "OTHER=x" }), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 4 });
    expect(errorOf(run.json).msg).toContain("OTHER=x");
  });

  it("a malformed pair is code 4 naming CNI_ARGS and the pair", async () => {
    const { plugin } = recorder();
    const run = await runPlugin(plugin, { env: envFor("DEL", { CNI_ARGS: "A=1;B" }), stdin: configFor("1.1.0") });
    expect(errorOf(run.json)).toMatchObject({ code: 4 });
    expect(errorOf(run.json).msg).toContain('"B"');
    expect(errorOf(run.json).msg).toContain("CNI_ARGS");
  });
});
