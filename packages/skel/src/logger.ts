/**
 * The plugin's logger: stderr by default, a file when asked, never stdout
 * (stdout carries the one JSON document a runtime parses). Writes are
 * synchronous so a line written just before exit is not lost, and a failing
 * log write never fails the verb.
 */
import { appendFileSync } from "node:fs";
import { writeFdSync } from "./process-io.js";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** Whether a message at `level` would be written; lets callers skip building expensive messages. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Append lines to this file instead of stderr. */
  file?: string | undefined;
  /** Lowest level written; default "warn" (a CNI plugin is quiet unless asked). */
  level?: LogLevel | undefined;
  /** Prefixes of every line. */
  plugin?: string | undefined;
  verb?: string | undefined;
  containerId?: string | undefined;
  /** Where stderr lines go; default process.stderr. */
  stderr?: ((chunk: string) => void) | undefined;
  /** The clock, for tests. */
  now?: (() => Date) | undefined;
}

export const DEFAULT_LOG_LEVEL: LogLevel = "warn";

/** fd 2 directly: building process.stderr costs a plugin exec several milliseconds on a pipe. */
function writeStderr(chunk: string): void {
  writeFdSync(2, chunk);
}

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  let out = "";
  for (const [key, value] of Object.entries(fields)) {
    let text: string;
    try {
      text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
    } catch {
      text = String(value);
    }
    out += ` ${key}=${text}`;
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? DEFAULT_LOG_LEVEL);
  const stderr = options.stderr ?? writeStderr;
  const now = options.now ?? (() => new Date());
  const prefix = [options.plugin || "cni-plugin", options.verb || "-", options.containerId || "-"].join(" ");
  let file = options.file;

  function write(line: string): void {
    if (file) {
      try {
        appendFileSync(file, line);
        return;
      } catch (e) {
        const failed = file;
        file = undefined;
        safeStderr(`${now().toISOString()} ${prefix} warn: cannot write log file ${failed}: ${(e as Error).message}; logging to stderr\n`);
      }
    }
    safeStderr(line);
  }

  function safeStderr(line: string): void {
    try {
      stderr(line);
    } catch {
      // Nowhere left to report it; the verb's answer matters more than the log.
    }
  }

  function log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (LOG_LEVELS.indexOf(level) > threshold) return;
    write(`${now().toISOString()} ${prefix} ${level}: ${msg}${formatFields(fields)}\n`);
  }

  return {
    error: (msg, fields) => log("error", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    debug: (msg, fields) => log("debug", msg, fields),
    enabled: (level) => LOG_LEVELS.indexOf(level) <= threshold,
  };
}
