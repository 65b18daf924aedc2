/**
 * DELs the shim spooled while the daemon was unreachable (shim.c spool_del):
 * `<ns since epoch>-<pid>.del` files holding "tscni-del-v1 <plugin> <envBytes>\n",
 * then the request body. Replayed oldest first, through the same per-attachment
 * queue as live requests; a DEL is dropped when an ADD of the same container ID
 * and ifname reached this daemon after the DEL was spooled.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { attachmentKey } from "./server.js";
import type { Daemon } from "./server.js";
import { parseEnvBlock } from "./protocol.js";

const SPOOL_NAME = /^(\d{10,})-\d+\.del$/;
const HEADER = /^tscni-del-v1 ([A-Za-z0-9._-]+) (\d+)\n/;

export class DelSpool {
  /** Wall-clock ns of the last ADD seen per attachment key. */
  readonly #lastAdd = new Map<string, bigint>();
  readonly #seen = new Set<string>();

  constructor(
    readonly dir: string,
    readonly log: (line: string) => void,
  ) {}

  noteAdd(key: string): void {
    this.#lastAdd.set(key, BigInt(Date.now()) * 1_000_000n);
  }

  /** Queues every spooled DEL not queued yet; resolves when those have run. */
  async replay(daemon: Daemon): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => SPOOL_NAME.test(n) && !this.#seen.has(n)).sort(bySpoolTime);
    } catch (e) {
      this.log(`tscni daemon: cannot read the DEL spool ${this.dir}: ${(e as Error).message}`);
      return 0;
    }
    const runs: Promise<unknown>[] = [];
    for (const name of names) {
      this.#seen.add(name);
      const file = join(this.dir, name);
      const data = await readFile(file).catch(() => undefined);
      const head = data && HEADER.exec(data.subarray(0, 400).toString("latin1"));
      if (!data || !head) {
        this.log(`tscni daemon: ignoring unreadable spool entry ${file}`);
        continue;
      }
      const bodyStart = head[0].length;
      const envBytes = Number(head[2]);
      const env = parseEnvBlock(data.subarray(bodyStart, bodyStart + envBytes));
      const stdin = data.subarray(bodyStart + envBytes);
      const spooledAt = BigInt(SPOOL_NAME.exec(name)![1]!);
      const key = attachmentKey(env);
      const added = this.#lastAdd.get(key);
      if (added !== undefined && added > spooledAt) {
        this.log(`tscni daemon: dropped spooled DEL ${name} (${env.CNI_CONTAINERID}/${env.CNI_IFNAME}): an ADD arrived after it`);
        await rm(file, { force: true });
        continue;
      }
      runs.push(
        daemon.run({ plugin: head[1]!, env: { ...env, CNI_COMMAND: "DEL" }, stdin }).then(async (o) => {
          this.log(`tscni daemon: replayed spooled DEL ${name} for ${head[1]}: exit ${o.status}${o.status ? ` ${o.stdout.trim()}` : ""}`);
          await rm(file, { force: true });
        }),
      );
    }
    await Promise.all(runs);
    return runs.length;
  }
}

function bySpoolTime(a: string, b: string): number {
  const x = BigInt(SPOOL_NAME.exec(a)![1]!);
  const y = BigInt(SPOOL_NAME.exec(b)![1]!);
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : 1;
}
