/**
 * A config schema built on first validation. VERSION never parses a config,
 * yet a schema built at start-up (constructing zod instances) is paid for on
 * every exec, VERSION included (`npm run bench skel` shows the cost; the skel
 * README has the figures). Pass `config: lazySchema(buildConfigSchema)`
 * instead of `config: buildConfigSchema()`.
 */
import type { StandardSchemaV1 } from "@tscni/types";

type InputOf<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];
type OutputOf<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];

/**
 * Wraps `build` in a Standard Schema with the same input and output types;
 * `build` runs once, on the first `validate`. Only `validate` is forwarded, so
 * use it for `config`, not for an `args` schema whose declared keys skel reads.
 */
export function lazySchema<S extends StandardSchemaV1>(build: () => S): StandardSchemaV1<InputOf<S>, OutputOf<S>> {
  let schema: S | undefined;
  return {
    "~standard": {
      version: 1,
      vendor: "tscni-lazy",
      validate: (value) => (schema ??= build())["~standard"].validate(value) as ReturnType<StandardSchemaV1<InputOf<S>, OutputOf<S>>["~standard"]["validate"]>,
    },
  };
}
