/** Recognising an installed shim of this daemon (for in-process delegation), cached per file identity. */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { readShimConfig } from "./shim-config.js";

export class ShimCache {
  readonly #known = new Map<string, string | undefined>();

  /** True when `path` is a tscni shim whose baked socket is `socketPath`. */
  isShimFor(path: string, socketPath: string): boolean {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return false;
    }
    try {
      const st = fstatSync(fd);
      const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
      if (!this.#known.has(id)) this.#known.set(id, readSocket(fd, st.size));
      return this.#known.get(id) === resolve(socketPath);
    } finally {
      closeSync(fd);
    }
  }
}

function readSocket(fd: number, size: number): string | undefined {
  if (size > 8 * 1024 * 1024) return undefined;
  const bytes = Buffer.alloc(size);
  readSync(fd, bytes, 0, size, 0);
  return readShimConfig(bytes)?.socket;
}
