import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Call {
  verb: string;
  plugin: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  stdin: Record<string, unknown>;
}

/**
 * A sandbox of recording shell plugins: every call appends its verb, the
 * CNI_* variables and its stdin to one log, so tests see exactly what each
 * plugin was given and in which order.
 */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "tscni-libcni-"));
  readonly bin = join(this.dir, "bin");
  readonly cacheDir = join(this.dir, "cache");
  readonly confDir = join(this.dir, "net.d");
  readonly log = join(this.dir, "calls.log");

  constructor() {
    writeFileSync(this.log, "");
    mkdirSync(this.bin);
    mkdirSync(this.confDir);
  }

  /**
   * A plugin that records its call, then runs `body` (sh); `addResult` is printed on ADD.
   * `$in` holds its stdin inside body.
   */
  plugin(name: string, opts: { addResult?: string; body?: string } = {}): string {
    const path = join(this.bin, name);
    const result = opts.addResult ?? `{"cniVersion":"1.0.0","ips":[{"address":"169.254.9.${name.length}/16"}]}`;
    writeFileSync(
      path,
      `#!/bin/sh
in=$(cat)
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$CNI_COMMAND" "${name}" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_ARGS" "$CNI_PATH" "$in" >> ${this.log}
${opts.body ?? ""}
if [ "$CNI_COMMAND" = ADD ]; then printf '%s' '${result}'; fi
exit 0
`,
    );
    chmodSync(path, 0o755);
    return path;
  }

  calls(): Call[] {
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [verb, plugin, containerId, netns, ifName, args, path, stdin] = line.split("\t") as string[];
        return { verb: verb!, plugin: plugin!, containerId: containerId!, netns: netns!, ifName: ifName!, args: args!, path: path!, stdin: JSON.parse(stdin!) };
      });
  }

  resetCalls(): void {
    writeFileSync(this.log, "");
  }

  conf(file: string, doc: unknown): string {
    const path = join(this.confDir, file);
    writeFileSync(path, typeof doc === "string" ? doc : JSON.stringify(doc));
    return path;
  }

  cacheFile(net: string, cid: string, ifName: string): string {
    return join(this.cacheDir, "results", `${net}-${cid}-${ifName}`);
  }

  hasCache(net: string, cid: string, ifName: string): boolean {
    return existsSync(this.cacheFile(net, cid, ifName));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const baseEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
