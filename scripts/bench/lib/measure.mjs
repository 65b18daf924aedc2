// Shared by the benchmarks: medians, and running a plugin the way a runtime does.
import { spawn, spawnSync } from "node:child_process";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `file` to completion; returns its wall time in ms. Throws on a non-zero exit. */
export function timedSync(file, args, childEnv, input) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, { env: childEnv, input });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${file}: exit ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

/** Runs `file` with `input` on stdin; resolves with its stdout, rejects on a non-zero exit. */
export function execAsync(file, childEnv, input) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, [], { env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${file}: exit ${code}: ${out}`))));
    child.stdin.end(input);
  });
}

/** A plain table: first column left-aligned, the rest right-aligned. */
export function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/**
 * CPU ms (user + sys) per exec of `argv`, the mean over `count` execs in one bash, read from its `times`
 * (cumulative CPU of waited-for children and their descendants: a plugin's `ip` runs and delegates count too).
 * stdin is a pipe already closed, as a runtime leaves it. `vary`: bash assignments put before each exec, which may
 * use the loop's `$i` (`CNI_IFNAME=eth$i`). Throws on a non-zero exit.
 */
export function cpuMsPerExec(argv, env, stdin = "", count = 1, vary = "") {
  const quoted = argv.map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(" ");
  const script = `for ((i=0;i<${count};i++)); do ${vary} ${quoted} < <(printf %s "$BENCH_STDIN") >/dev/null 2>&1 || exit 1; done; times`;
  const r = spawnSync("bash", ["-c", script], { env: { ...env, BENCH_STDIN: stdin }, encoding: "utf8" });
  const children = r.stdout.trim().split("\n").at(-1) ?? "";
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  if (r.status !== 0 || !(seconds > 0)) throw new Error(`${argv.join(" ")}: bash exit ${r.status}: ${r.stderr}`);
  return (seconds * 1000) / count;
}
