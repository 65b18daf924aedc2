/**
 * pluginMain in a real process: a fixture bundled with esbuild and exec'ed
 * with `env -i`, checking what only a process shows (console.log redirection,
 * a timer printing after the answer, a leaked handle, exit statuses, fd 0).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { fixtureBinary } from "./fixture-binary.js";

const binary = fixtureBinary("positional-plugin.ts", "positional", "process");
const ENV = ["CNI_CONTAINERID=c1", "CNI_NETNS=/var/run/netns/tscni-skel-nonexistent", "CNI_IFNAME=eth0"];
const CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "n", type: "positional" });

function run(vars: string[], input?: string) {
  const r = spawnSync("env", ["-i", `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`, ...vars, process.execPath, binary], {
    input: input ?? "",
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

describe("pluginMain(add, del, versionInfo, about) in a process", () => {
  it("prints one result; console.log and stdout writes, even after the answer, go to stderr", () => {
    const r = run(["CNI_COMMAND=ADD", ...ENV], CONFIG);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", ips: [{ address: "169.254.6.6/16" }] });
    expect(r.stderr).toBe("stray console.log\nstray write\nlate console.log\n");
  });

  it("exits with status 1 and the error object when the handler throws", () => {
    const r = run(["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/nonexistent", "CNI_IFNAME=fail0"], CONFIG);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", code: 11, msg: "busy", details: "scripted" });
  });

  it.each([
    ["timer0", "thrown from a timer", "thrown from a timer"],
    ["float0", "ADD: a promise was not awaited, and it failed: floating rejection", "floating rejection"],
  ])("an uncaught error in a handler (%s) is code 999 on stdout, exit 1, the stack only on stderr", (ifName, msg, thrown) => {
    const r = run(["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/nonexistent", `CNI_IFNAME=${ifName}`, "CNI_LOG_LEVEL=debug"], CONFIG);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: "1.0.0", code: 999, msg });
    expect(r.stderr).toMatch(/unexpected error: /);
    expect(r.stderr).toMatch(new RegExp(`Error: ${thrown}\\n\\s+at `));
  });

  it("exits even when a handler leaks a handle that would keep node running", () => {
    const r = run(["CNI_COMMAND=DEL", ...ENV], CONFIG);
    expect(r).toMatchObject({ code: 0, stdout: "", signal: null });
  });

  it("speaks the versions it was given and prints its about text", () => {
    const version = run(["CNI_COMMAND=VERSION"]);
    expect(JSON.parse(version.stdout)).toEqual({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] });
    const about = run([]);
    expect(about).toMatchObject({ code: 0, stdout: "", stderr: "CNI positional fixture v1\nCNI protocol versions supported: 0.4.0, 1.0.0\n" });
    const old = run(["CNI_COMMAND=ADD", ...ENV], JSON.stringify({ cniVersion: "0.3.1", name: "n", type: "t" }));
    expect(JSON.parse(old.stdout)).toMatchObject({ code: 1, msg: "incompatible CNI versions", cniVersion: "1.0.0" });
  });

  it("treats a closed fd 0 as empty stdin", () => {
    const r = spawnSync("sh", ["-c", `exec env -i CNI_COMMAND=DEL ${ENV.join(" ")} "${process.execPath}" "${binary}" <&-`], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 6, msg: "error decoding network configuration: stdin is empty" });
  });
});
