import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temp directory of tiny shell plugins, removed by `cleanup()`. */
export function stubDir(): { dir: string; stub: (name: string, body: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tscni-invoke-"));
  return {
    dir,
    stub(name, body) {
      const path = join(dir, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment a runtime would give: nothing inherited but PATH. */
export const cleanEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
