/**
 * The wire between the shim (shim/shim.c) and the daemon: HTTP/1.1 over a unix
 * socket, one request per connection.
 *
 *   POST /v1/exec/<plugin>    X-Tscni-Env-Bytes: N    Content-Length: L
 *   body: the shim's environment as NUL-terminated KEY=VALUE entries (N bytes), then stdin's bytes
 *
 *   answer: X-Tscni-Exit: <status>, Content-Length, body = the exact stdout bytes
 *
 * Every answer of the daemon carries X-Tscni-Exit, refusals included (their body
 * is a CNI error object), so the shim tells "the daemon said no" from "this is
 * not a daemon speaking /v1" (a version skew, which it reports as code 101).
 * A breaking change gets a new route version; the daemon keeps serving the old one.
 */
export const ROUTE_PREFIX = "/v1/exec/";
export const EXIT_HEADER = "x-tscni-exit";
export const ENV_BYTES_HEADER = "x-tscni-env-bytes";
/** Same as the shim's MAX_BYTES and invoke's stdout capture cap: the largest request or answer. */
export const MAX_BYTES = 16 * 1024 * 1024;

export interface Request {
  plugin: string;
  env: Record<string, string>;
  stdin: Buffer;
  /** Not on the wire: the caller's network namespace (a path) when it is not the daemon's (server.ts). */
  callerNetns?: string | undefined;
}

/** The environment block: entries without "=" are ignored, as a process environment would be read. */
export function parseEnvBlock(block: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf(0, start);
    if (end < 0) end = block.length;
    const entry = block.toString("utf8", start, end);
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    start = end + 1;
  }
  return env;
}

export function encodeEnvBlock(env: Readonly<Record<string, string | undefined>>): Buffer {
  return Buffer.from(
    Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}\0`)
      .join(""),
    "utf8",
  );
}
