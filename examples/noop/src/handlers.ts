/**
 * One scripted action for every verb: record the call, print the requested
 * stray text, fail or throw if told to, and for ADD return a result.
 */
import { appendFileSync } from "node:fs";
import { CniError } from "@tscni/skel";
import type { CmdArgs, ResultInput } from "@tscni/skel";
import type { NetConf } from "@tscni/types";
import type { NoopConfig, ScriptedVerb } from "./config.js";

export type NoopArgs = CmdArgs<NetConf & NoopConfig>;

/** The address the default ADD result reports: link-local, never routed anywhere. */
export const DEFAULT_ADDRESS = "169.254.0.2/16";

function cniEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("CNI_") && value !== undefined) out[key] = value;
  }
  return out;
}

function perform(verb: ScriptedVerb, args: NoopArgs): void {
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

export function add(args: NoopArgs): ResultInput {
  perform("ADD", args);
  const { config, prevResult } = args;
  if (config.passthrough && prevResult) return prevResult;
  if (config.result) return config.result as ResultInput;
  if (prevResult) return prevResult;
  return {
    interfaces: [{ name: args.ifName, sandbox: args.netns }],
    ips: [{ interface: 0, address: DEFAULT_ADDRESS }],
  };
}

export const del = (args: NoopArgs): void => perform("DEL", args);
export const check = (args: NoopArgs): void => perform("CHECK", args);
export const gc = (args: NoopArgs): void => perform("GC", args);
export const status = (args: NoopArgs): void => perform("STATUS", args);
