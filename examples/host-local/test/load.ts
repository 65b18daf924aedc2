/** Drives many plugin processes at once and checks that no address was ever held twice. */
import { type Call, addressesOf, run } from "./support.js";

export interface Holding {
  containerId: string;
  network: string;
  ip: string;
  /** When the parent saw ADD finish: the reservation existed by then. */
  from: number;
  /** When the parent started DEL: the reservation still existed then. */
  to: number;
}

export interface WorkerOptions {
  worker: number;
  rounds: number;
  config: Record<string, unknown>;
  binary?: string | undefined;
  /** How long each container keeps its address, at most (ms). */
  holdMs?: number;
}

export interface WorkerReport {
  holdings: Holding[];
  exhausted: number;
  failures: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function allocateAndRelease(o: WorkerOptions): Promise<WorkerReport> {
  const report: WorkerReport = { holdings: [], exhausted: 0, failures: [] };
  const network = String(o.config.name);
  for (let round = 0; round < o.rounds; round++) {
    const containerId = `w${o.worker}-r${round}-${network}`;
    const call: Call = { command: "ADD", config: o.config, containerId, ...(o.binary && { binary: o.binary }) };
    const add = await run(call);
    if (add.exitCode !== 0) {
      const code = (add.json as { code?: number; msg?: string } | undefined)?.code;
      const msg = (add.json as { msg?: string } | undefined)?.msg ?? "";
      // Exhaustion is expected in a small range: ours says 11, Go's 999 "no IP addresses available".
      if (code === 11 || msg.includes("no IP addresses available")) report.exhausted++;
      else report.failures.push(`ADD ${containerId}: ${add.stdout}${add.stderr}`);
      continue;
    }
    const from = performance.now();
    await sleep(Math.random() * (o.holdMs ?? 20));
    const to = performance.now();
    const del = await run({ ...call, command: "DEL" });
    if (del.exitCode !== 0) report.failures.push(`DEL ${containerId}: ${del.stdout}${del.stderr}`);
    for (const ip of addressesOf(add.json)) report.holdings.push({ containerId, network, ip, from, to });
  }
  return report;
}

/** Pairs of holdings of one address whose observed intervals overlap: each pair is a double allocation. */
export function doubleAllocations(holdings: readonly Holding[]): string[] {
  const byIp = new Map<string, Holding[]>();
  for (const h of holdings) byIp.set(h.ip, [...(byIp.get(h.ip) ?? []), h]);
  const out: string[] = [];
  for (const [ip, list] of byIp) {
    const sorted = [...list].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev && cur && cur.from < prev.to) out.push(`${ip}: ${prev.containerId} and ${cur.containerId}`);
    }
  }
  return out;
}
