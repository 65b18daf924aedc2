// Builds dist/bin once per test run, so tests that exec binaries exec what the
// sources say now. Under CI a build failure fails the run; on a developer's
// machine it is reported and the tests of the broken target fail on their own.
export default async function setup(): Promise<void> {
  if (process.env.TSCNI_SKIP_BUILD === "1") return;
  // @ts-expect-error plain JS build script without type declarations
  const { buildAll } = await import("../../scripts/build.mjs");
  try {
    await buildAll({ quiet: true });
  } catch (e) {
    if (process.env.CI === "true") throw e;
    console.warn(`[build] ${(e as Error).message}`);
  }
}
