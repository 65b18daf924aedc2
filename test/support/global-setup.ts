// Builds dist/bin (and the SEA, for the "sea" project) once per test run, so
// tests that exec binaries exec what the sources say now. Every project runs
// its global setup; the build is shared through globalThis (all setups run in
// the one main process). Under CI a build failure fails the run; on a
// developer's machine it is reported and the tests of the broken target fail
// on their own.
const key = Symbol.for("tscni.test.build");
type WithBuild = typeof globalThis & { [key]?: Promise<void> };

export function buildOnce(): Promise<void> {
  const g = globalThis as WithBuild;
  g[key] ??= (async () => {
    if (process.env.TSCNI_SKIP_BUILD === "1") return;
    // @ts-expect-error plain JS build script without type declarations
    const { buildAll } = await import("../../scripts/build.mjs");
    try {
      await buildAll({ quiet: true, sea: true });
    } catch (e) {
      if (process.env.CI === "true") throw e;
      console.warn(`[build] ${(e as Error).message}`);
    }
  })();
  return g[key];
}

export default async function setup(): Promise<void> {
  await buildOnce();
}
