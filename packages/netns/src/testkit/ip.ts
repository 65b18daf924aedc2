import { spawnRunner, findTool } from "../exec.js";

/** Runs `ip <args>` in this process's namespace; throws with stderr unless `allowFailure`. */
export async function runIp(args: string[], options: { allowFailure?: boolean } = {}): Promise<string> {
  const r = await spawnRunner([findTool("ip"), ...args]);
  if (r.status !== 0 && !options.allowFailure) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit status ${r.status}`}`);
  return r.stdout;
}
