/**
 * The Standard Schema interface (https://standardschema.dev), declared here
 * so that a plugin may describe its config or CNI_ARGS with zod classic,
 * zod/mini, valibot or anything else that implements it, without the SDK
 * depending on any of them.
 */
import type { IssueLike } from "./issues.js";

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

export interface StandardIssue extends IssueLike {
  readonly message: string;
}

export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
