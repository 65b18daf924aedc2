/**
 * pluginMain's call forms keep the config schema's output type in every handler.
 * These are compile-time checks (`npx tsc -p .`); pluginMain itself binds the
 * process, so the calls sit in functions that are type-checked and never run.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import * as z from "zod/mini";
import { definePlugin, lazySchema, pluginMain } from "@tscni/skel";
import type { CmdArgs } from "@tscni/skel";
import type { NetConf } from "@tscni/types";

const schema = () => z.object({ mtu: z._default(z.int(), 1500), bridge: z.string() });

describe("pluginMain types", () => {
  it("one argument: a definePlugin object with a config schema", () => {
    const plugin = definePlugin({
      add: (args) => {
        expectTypeOf(args.config.mtu).toEqualTypeOf<number>();
        expectTypeOf(args.config.bridge).toEqualTypeOf<string>();
        return { ips: [] };
      },
      del: (args) => {
        expectTypeOf(args.config.bridge).toEqualTypeOf<string>();
      },
      config: lazySchema(schema),
    });
    const start = () => pluginMain(plugin);
    expectTypeOf(start).returns.toEqualTypeOf<Promise<void>>();
    expect(typeof start).toBe("function");
  });

  it("one argument: handlers and options written inline", () => {
    const start = () =>
      pluginMain({
        add: (args) => {
          expectTypeOf(args.config.mtu).toEqualTypeOf<number>();
          return { ips: [] };
        },
        del: () => {},
        config: schema(),
        args: z.object({ VLAN: z.optional(z.string()) }),
      });
    expect(typeof start).toBe("function");
  });

  it("handlers and options as two arguments, and the positional form", () => {
    const two = () =>
      pluginMain(
        {
          add: (args) => {
            expectTypeOf(args.config.bridge).toEqualTypeOf<string>();
            return { ips: [] };
          },
          del: () => {},
        },
        { config: lazySchema(schema) },
      );
    const positional = () =>
      pluginMain(
        (args) => {
          expectTypeOf(args).toEqualTypeOf<CmdArgs>();
          expectTypeOf(args.config).toEqualTypeOf<NetConf>();
          return { ips: [] };
        },
        () => {},
      );
    expect([typeof two, typeof positional]).toEqual(["function", "function"]);
  });

  it("refuses a handler that needs config fields no schema provides", () => {
    const start = () =>
      pluginMain(
        // @ts-expect-error: without a config schema, args.config is plain NetConf and has no typed mtu
        definePlugin({ add: (args: CmdArgs<NetConf & { mtu: number }>) => ({ ips: [{ address: `169.254.0.1/${args.config.mtu}` }] }), del: () => {} }),
      );
    expect(typeof start).toBe("function");
  });
});
