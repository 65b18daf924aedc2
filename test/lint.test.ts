/**
 * The linter catches the handler mistake that otherwise reaches a runtime as
 * a false success: a plugin that calls a netns method without `await` in ADD.
 * The fixtures are linted through ESLint's Node API with the repository's own
 * eslint.config.js, as files under test/ (so tsconfig.json's type information
 * applies and `@tscni/netns` resolves to its sources through the workspace's
 * "source" condition). `npm run lint` ignores them; here the ignores are off.
 */
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

async function findings(fixture: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [report] = await eslint.lintFiles([join(root, "test/fixtures/lint", fixture)]);
  return (report?.messages ?? []).map((m) => `${m.line}: ${m.ruleId ?? `fatal: ${m.message}`}`);
}

describe("eslint.config.js", () => {
  it("flags ctr.setLink(...) without await inside an async ADD handler", async () => {
    expect(await findings("missing-await.ts")).toEqual(["8: @typescript-eslint/no-floating-promises"]);
  }, 120_000);

  it("accepts the awaited call", async () => {
    expect(await findings("awaited.ts")).toEqual([]);
  }, 120_000);
});
