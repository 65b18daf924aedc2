import { execFileSync, spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

export const DRIVER_SOURCE = resolve(import.meta.dirname, "go-driver", "main.go");

/**
 * Builds go-driver/main.go against Debian's Go libcni (golang-github-appc-cni-dev
 * in /usr/share/gocode), offline: GOPATH mode, no module proxy.
 */
export function buildGoDriver(outDir: string): string {
  const out = join(outDir, "libcni-driver");
  execFileSync("go", ["build", "-o", out, DRIVER_SOURCE], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: outDir,
      GO111MODULE: "off",
      GOPATH: `/usr/share/gocode:${join(outDir, "gopath")}`,
      GOCACHE: join(outDir, "gocache"),
      GOPROXY: "off",
      GOFLAGS: "",
      CGO_ENABLED: "0",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return out;
}

export interface DriverRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface DriverArgs {
  conf: string;
  cache: string;
  netns?: string;
  cid: string;
  ifname?: string;
  cniPath: string;
  /** Run inside this network namespace (ip netns exec). */
  inNetns?: string;
  /** The runtime's capability arguments (portMappings, bandwidth...). */
  caps?: object;
}

export function runDriver(driver: string, verb: string, a: DriverArgs): DriverRun {
  const caps = a.caps ? ["-caps", JSON.stringify(a.caps)] : [];
  const argv = [driver, "-conf", a.conf, "-cache", a.cache, "-netns", a.netns ?? "", "-cid", a.cid, "-ifname", a.ifname ?? "eth0", ...caps, verb];
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", CNI_PATH: a.cniPath };
  const r = a.inNetns
    ? spawnSync("ip", ["netns", "exec", a.inNetns, "env", "-i", `PATH=${env.PATH}`, `CNI_PATH=${env.CNI_PATH}`, ...argv], { encoding: "utf8", env })
    : spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
