/**
 * What every verb does first: record the call, print the requested stray
 * text, then fail or throw if the config says so for this verb.
 */
import { appendFileSync } from "node:fs";
import { CniError } from "@tscni/skel";
import type { NoopArgs, ScriptedVerb } from "./config.js";

function cniEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("CNI_") && value !== undefined) out[key] = value;
  }
  return out;
}

export function perform(verb: ScriptedVerb, args: NoopArgs): void {
  const { config } = args;
  if (config.recordFile) {
    appendFileSync(config.recordFile, `${JSON.stringify({ verb, env: cniEnvironment(), stdin: args.stdin })}\n`);
  }
  if (config.stdoutText !== undefined) console.log(config.stdoutText);
  const thrown = config.throw?.[verb];
  if (thrown !== undefined) throw new Error(thrown);
  const failure = config.fail?.[verb];
  if (failure) throw new CniError(failure.code, failure.msg, failure.details);
}
