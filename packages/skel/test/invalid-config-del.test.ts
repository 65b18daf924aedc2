/** The opt-in DEL for a config that fails validation: off by default (Go's code 7), DEL only, raw config and issues. */
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { definePlugin } from "@tscni/skel";
import type { InvalidConfigDelArgs } from "@tscni/skel";
import { runPlugin } from "@tscni/skel/testing";
import { configFor, envFor } from "./helpers.js";

const schema = z.looseObject({ mtu: z.optional(z.int()) });
const bad = configFor("1.0.0", { mtu: "big" });

describe("delWithInvalidConfig", () => {
  it("absent: DEL with an invalid config is code 7, as in Go", async () => {
    const run = await runPlugin(definePlugin({ add: () => ({}), del: () => {}, config: schema }), { env: envFor("DEL"), stdin: bad });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: 7, msg: "invalid network configuration" });
  });

  it("present: DEL runs it with the raw config and the issues; other verbs are still code 7", async () => {
    const seen: InvalidConfigDelArgs[] = [];
    const plugin = definePlugin({
      add: () => ({}),
      del: () => {
        throw new Error("the validated DEL must not run");
      },
      check: () => {},
      delWithInvalidConfig: (args) => void seen.push(args),
      config: schema,
    });
    const del = await runPlugin(plugin, { env: envFor("DEL"), stdin: bad });
    expect(del.exitCode).toBe(0);
    expect(del.stdout).toBe("");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ command: "DEL", containerId: expect.any(String), ifName: "eth0", config: { mtu: "big" } });
    expect(seen[0]?.configIssues.map((i) => i.path?.map(String).join("."))).toEqual(["mtu"]);
    expect(seen[0]?.configError).toMatchObject({ code: 7 });
    for (const verb of ["ADD", "CHECK"]) {
      const run = await runPlugin(plugin, { env: envFor(verb), stdin: bad });
      expect(run.json).toMatchObject({ code: 7 });
    }
  });

  it("what it throws is the answer", async () => {
    const plugin = definePlugin({
      add: () => ({}),
      del: () => {},
      delWithInvalidConfig: ({ configError }) => {
        throw configError;
      },
      config: schema,
    });
    const run = await runPlugin(plugin, { env: envFor("DEL"), stdin: bad });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ code: 7, msg: "invalid network configuration" });
  });
});
