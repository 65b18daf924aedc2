/**
 * An etcd v3 client over the server's JSON gateway, on node:http/https.
 *
 * Every call has one deadline for the whole operation; inside it the client
 * tries the endpoints in turn (starting with the last one that answered), so a
 * dead member or one cut off from the quorum costs one bounded attempt, not
 * the call. When the deadline passes without an answer the call fails with
 * CNI code 11 (try again later): a runtime retries, and a DEL is never
 * reported as done when it was not.
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from "node:http";
import { CniError, ErrorCode } from "@tscni/types";
import {
  type RangeResult,
  type StatusResult,
  type TxnResult,
  decodeGatewayError,
  decodeRange,
  decodeStatus,
  decodeTxn,
  encodeKey,
  prefixEnd,
} from "./wire.js";

export interface EtcdTls {
  /** PEM text of the CA that signed the servers' certificates. */
  readonly ca?: string | Buffer;
  /** PEM text of the client certificate and key, for servers that require client auth. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

export interface EtcdClientOptions {
  /** `http://host:port` or `https://host:port`, at least one. */
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** The whole operation, all endpoints and retries included. Default 10 s. */
  readonly timeoutMs?: number;
  /** One attempt at one endpoint. Default 3 s, and never past the operation's deadline. */
  readonly attemptTimeoutMs?: number;
  /**
   * An absolute end (epoch ms) for every call of this client, however many:
   * a plugin exec that makes several calls stays inside one bound.
   */
  readonly deadline?: number;
}

export type CompareTarget = "CREATE" | "MOD" | "VERSION" | "VALUE";
export type CompareResult = "EQUAL" | "NOT_EQUAL" | "GREATER" | "LESS";

export interface Compare {
  readonly key: string;
  readonly target: CompareTarget;
  readonly result: CompareResult;
  /** For CREATE and MOD: a revision; for VERSION: a version; for VALUE: the text. `0n` with CREATE means "absent". */
  readonly value: bigint | string;
}

export type Operation =
  | { readonly put: { readonly key: string; readonly value: string } }
  | { readonly delete: { readonly key: string; readonly prefix?: boolean } }
  | { readonly range: { readonly key: string; readonly prefix?: boolean } };

export interface RangeOptions {
  readonly prefix?: boolean;
  readonly limit?: number;
  readonly keysOnly?: boolean;
  /** Read from the member's local state without a quorum round (may be stale). Default false. */
  readonly serializable?: boolean;
}

/** The largest answer read from a server; a range over a whole network's reservations stays far below it. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** gRPC status codes after which another member may well answer. */
const RETRY_ELSEWHERE = new Set([1, 2, 4, 8, 10, 13, 14]);

class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly retryElsewhere: boolean,
  ) {
    super(message);
  }
}

interface Endpoint {
  readonly url: URL;
  readonly text: string;
}

function parseEndpoints(list: readonly string[]): Endpoint[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "etcd.endpoints: at least one endpoint is required", "e.g. [\"https://127.0.0.1:2379\"]");
  }
  return list.map((text, i) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `etcd.endpoints[${i}]: "${text}" is not a URL`, "expected http://host:port or https://host:port");
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || url.username || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `etcd.endpoints[${i}]: "${text}" must be http://host:port or https://host:port`, text);
    }
    return { url, text: `${url.protocol}//${url.host}` };
  });
}

export class EtcdClient {
  readonly #endpoints: Endpoint[];
  readonly #timeoutMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #tls: EtcdTls | undefined;
  readonly #deadline: number;
  readonly #agents = new Map<string, HttpAgent>();
  /** Where the next call starts: the endpoint that answered last. */
  #preferred = 0;

  constructor(options: EtcdClientOptions) {
    this.#endpoints = parseEndpoints(options.endpoints);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 3_000;
    this.#tls = options.tls;
    this.#deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  }

  get endpoints(): readonly string[] {
    return this.#endpoints.map((e) => e.text);
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    const body: Record<string, unknown> = { key: encodeKey(key) };
    if (options.prefix) body.range_end = prefixEnd(key);
    if (options.limit !== undefined) body.limit = String(options.limit);
    if (options.keysOnly) body.keys_only = true;
    if (options.serializable) body.serializable = true;
    return decodeRange(await this.#call("/v3/kv/range", body));
  }

  async txn(request: { compare: readonly Compare[]; success: readonly Operation[]; failure?: readonly Operation[] }): Promise<TxnResult> {
    const body = {
      compare: request.compare.map(encodeCompare),
      success: request.success.map(encodeOperation),
      failure: (request.failure ?? []).map(encodeOperation),
    };
    return decodeTxn(await this.#call("/v3/kv/txn", body));
  }

  /**
   * A linearizable read of one key: it succeeds only through a member that is
   * part of a quorum, so it is the readiness probe (STATUS) as well.
   */
  async probeQuorum(key: string): Promise<void> {
    await this.range(key, { limit: 1, keysOnly: true });
  }

  async status(): Promise<StatusResult> {
    return decodeStatus(await this.#call("/v3/maintenance/status", {}));
  }

  /** Closes kept-alive connections; the client may still be used afterwards. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  async #call(path: string, body: unknown): Promise<unknown> {
    const payload = JSON.stringify(body);
    const deadline = Math.min(Date.now() + this.#timeoutMs, this.#deadline);
    const failures: string[] = [];
    let index = this.#preferred;
    for (let attempt = 0; ; attempt++) {
      const endpoint = this.#endpoints[index % this.#endpoints.length]!;
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        const answer = await this.#attempt(endpoint, path, payload, Math.min(this.#attemptTimeoutMs, left));
        this.#preferred = index % this.#endpoints.length;
        return answer;
      } catch (e) {
        if (!(e instanceof AttemptFailed)) throw e;
        failures.push(`${endpoint.text}: ${e.message}`);
        if (!e.retryElsewhere) {
          throw new CniError(ErrorCode.Internal, `etcd refused the request ${path}: ${e.message}`, endpoint.text);
        }
      }
      index++;
      // After a full round of refusals, a short pause before the next: members that just lost a peer elect within ~1 s.
      if ((attempt + 1) % this.#endpoints.length === 0) await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
    const recent = [...new Set(failures)].slice(-this.#endpoints.length);
    throw new CniError(
      ErrorCode.TryAgainLater,
      `etcd did not answer in time (endpoints ${this.endpoints.join(", ")})`,
      recent.join("; ") || "no attempt could start",
    );
  }

  async #agentFor(endpoint: Endpoint): Promise<HttpAgent> {
    const known = this.#agents.get(endpoint.text);
    if (known) return known;
    let agent: HttpAgent;
    if (endpoint.url.protocol === "https:") {
      const https = await import("node:https");
      const tls = this.#tls ?? {};
      agent = new https.Agent({ keepAlive: true, ...(tls.ca && { ca: tls.ca }), ...(tls.cert && { cert: tls.cert }), ...(tls.key && { key: tls.key }) });
    } else {
      const http = await import("node:http");
      agent = new http.Agent({ keepAlive: true });
    }
    this.#agents.set(endpoint.text, agent);
    return agent;
  }

  async #attempt(endpoint: Endpoint, path: string, payload: string, timeoutMs: number): Promise<unknown> {
    const agent = await this.#agentFor(endpoint);
    const transport = endpoint.url.protocol === "https:" ? await import("node:https") : await import("node:http");
    return new Promise<unknown>((resolve, reject) => {
      let request: ClientRequest | undefined;
      const timer = setTimeout(() => {
        request?.destroy(new AttemptFailed(`no answer within ${timeoutMs} ms`, true));
      }, timeoutMs);
      const fail = (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof AttemptFailed ? e : new AttemptFailed(describeNetworkError(e), true));
      };
      request = transport.request(
        {
          protocol: endpoint.url.protocol,
          hostname: endpoint.url.hostname.replace(/^\[|\]$/g, ""),
          port: endpoint.url.port || (endpoint.url.protocol === "https:" ? 443 : 2379),
          path,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) response.destroy(new AttemptFailed(`answer larger than ${MAX_RESPONSE_BYTES} bytes`, false));
            else chunks.push(chunk);
          });
          response.on("error", fail);
          response.on("end", () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString("utf8");
            let doc: unknown;
            try {
              doc = JSON.parse(text);
            } catch {
              reject(new AttemptFailed(`HTTP ${response.statusCode}: not JSON: ${text.slice(0, 120)}`, (response.statusCode ?? 500) >= 500));
              return;
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(doc);
              return;
            }
            const { message, grpcCode } = decodeGatewayError(doc);
            const elsewhere = grpcCode === undefined ? status >= 500 : RETRY_ELSEWHERE.has(grpcCode) || /no leader|timed out|not capable|stopped/.test(message);
            reject(new AttemptFailed(`${message} (HTTP ${status}${grpcCode === undefined ? "" : `, gRPC code ${grpcCode}`})`, elsewhere));
          });
        },
      );
      request.on("error", fail);
      request.end(payload);
    });
  }
}

function describeNetworkError(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  return err?.code ? `${err.code}${err.message && !err.message.includes(err.code) ? ` ${err.message}` : ""}` : String(err?.message ?? e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function encodeCompare(c: Compare): Record<string, unknown> {
  const out: Record<string, unknown> = { key: encodeKey(c.key), target: c.target, result: c.result };
  if (c.target === "VALUE") out.value = encodeKey(String(c.value));
  else if (c.target === "CREATE") out.create_revision = String(c.value);
  else if (c.target === "MOD") out.mod_revision = String(c.value);
  else out.version = String(c.value);
  return out;
}

function encodeOperation(op: Operation): Record<string, unknown> {
  if ("put" in op) return { request_put: { key: encodeKey(op.put.key), value: encodeKey(op.put.value) } };
  if ("delete" in op) {
    return { request_delete_range: { key: encodeKey(op.delete.key), ...(op.delete.prefix && { range_end: prefixEnd(op.delete.key) }) } };
  }
  return { request_range: { key: encodeKey(op.range.key), ...(op.range.prefix && { range_end: prefixEnd(op.range.key) }) } };
}
