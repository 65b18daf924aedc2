// Builds dist/bin once per test run, so tests that exec binaries exec what the
// sources say now. `npm test` builds before vitest; this covers direct runs.
export default async function setup(): Promise<void> {
  if (process.env.TSCNI_SKIP_BUILD === "1") return;
  // @ts-expect-error plain JS build script without type declarations
  const { buildAll } = await import("../../scripts/build.mjs");
  await buildAll({ quiet: true });
}
