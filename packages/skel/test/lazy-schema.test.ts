/** lazySchema: a config schema that VERSION never builds, with the types and answers of the real one. */
import { describe, expect, expectTypeOf, it } from "vitest";
import * as z from "zod/mini";
import { definePlugin, lazySchema } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { configFor, envFor, errorOf } from "./helpers.js";

function counted() {
  let builds = 0;
  const schema = lazySchema(() => {
    builds++;
    return z.object({ mtu: z.optional(z.number()) });
  });
  return { schema, builds: () => builds };
}

describe("lazySchema", () => {
  it("is built by the first verb that parses a config, once, and never by VERSION", async () => {
    const { schema, builds } = counted();
    const seen: unknown[] = [];
    const plugin = definePlugin({ add: (args) => (seen.push(args.config.mtu), { ips: [] }), del: () => {}, config: schema });
    await runPlugin(plugin, { env: { CNI_COMMAND: "VERSION" }, stdin: configFor("1.0.0") });
    expect(builds()).toBe(0);
    await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0", { mtu: 1400 }) });
    await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0", { mtu: 9000 }) });
    expect(builds()).toBe(1);
    expect(seen).toEqual([1400, 9000]);
  });

  it("reports the real schema's issues as an invalid network configuration", async () => {
    const { schema } = counted();
    const plugin = definePlugin({ add: () => ({ ips: [] }), del: () => {}, config: schema });
    const run = await runPlugin(plugin, { env: envFor("ADD"), stdin: configFor("1.0.0", { mtu: "big" }) });
    expect(errorOf(run.json)).toMatchObject({ code: 7, msg: "invalid network configuration" });
    expect(errorOf(run.json).details).toMatch(/mtu/);
  });

  it("keeps the real schema's output type for args.config", () => {
    const { schema } = counted();
    definePlugin({
      add: (args) => {
        expectTypeOf(args.config.mtu).toEqualTypeOf<number | undefined>();
        return { ips: [] };
      },
      del: () => {},
      config: schema,
    });
  });
});
