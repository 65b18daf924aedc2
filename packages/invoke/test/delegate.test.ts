import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { delegateAdd, delegateDel, delegateGC, delegateStatus, delegateCheck, getVersionInfo } from "@tscni/invoke";
import { cleanEnv, stubDir } from "./stubs.js";
import { skipReason } from "../../../test/support/prereq.js";
import { cniRejection } from "../../../test/support/cni-error.js";

const noGoPlugins = skipReason({ executables: ["/usr/lib/cni/loopback"] });

describe("delegation", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  const pluginEnv = (dir: string) => ({
    ...cleanEnv,
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "ctr1",
    CNI_NETNS: "/run/netns/ctr1",
    CNI_IFNAME: "eth0",
    CNI_ARGS: "IgnoreUnknown=1",
    CNI_PATH: `/nonexistent:${dir}`,
  });

  it("re-execs with the same environment, only CNI_COMMAND changed, and the whole config on stdin", async () => {
    const log = join(s.dir, "calls");
    s.stub("ipam", `{ echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME $CNI_ARGS $CNI_PATH"; cat; echo; } >> ${log}
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"169.254.7.2/16","gateway":"169.254.0.1"}]}'
exit 0`);
    const config = { cniVersion: "0.4.0", name: "n", type: "bridge", ipam: { type: "ipam" } };
    const env = { ...pluginEnv(s.dir), CNI_COMMAND: "CHECK" };
    const result = await delegateAdd("ipam", config, { env });
    // Handed back in the current model whatever the delegate printed.
    expect(result).toEqual({ cniVersion: "1.1.0", ips: [{ address: "169.254.7.2/16", gateway: "169.254.0.1" }] });
    await delegateCheck("ipam", JSON.stringify(config), { env });
    await delegateDel("ipam", Buffer.from(JSON.stringify(config)), { env });
    await delegateGC("ipam", config, { env });
    await delegateStatus("ipam", config, { env });
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const tail = `ctr1 /run/netns/ctr1 eth0 IgnoreUnknown=1 /nonexistent:${s.dir}`;
    expect(lines.filter((_, i) => i % 2 === 0)).toEqual(["ADD", "CHECK", "DEL", "GC", "STATUS"].map((v) => `${v} ${tail}`));
    expect(JSON.parse(lines[1]!)).toEqual(config);
  });

  it("fails with code 4 naming CNI_PATH when it is missing", async () => {
    const { CNI_PATH: _, ...env } = pluginEnv(s.dir);
    const e = await cniRejection(delegateAdd("host-local", {}, { env }));
    expect(e.code).toBe(4);
    expect(e.msg).toBe('cannot delegate ADD to plugin "host-local": CNI_PATH is not set');
  });

  it("names the delegate and the path when the delegate is not found", async () => {
    const e = await cniRejection(delegateDel("nope", {}, { env: pluginEnv(s.dir) }));
    expect(e.msg).toBe(`failed to find plugin "nope" in path [/nonexistent ${s.dir}]`);
  });

  it("passes the delegate's own error code up unchanged", async () => {
    s.stub("ipam", `echo '{"code":11,"msg":"address pool exhausted, retry"}'; exit 1`);
    const e = await cniRejection(delegateAdd("ipam", { cniVersion: "1.0.0", name: "n", type: "x" }, { env: pluginEnv(s.dir) }));
    expect([e.code, e.msg]).toEqual([11, "address pool exhausted, retry"]);
  });
});

describe("getVersionInfo", () => {
  let s: ReturnType<typeof stubDir>;
  beforeEach(() => (s = stubDir()));
  afterEach(() => s.cleanup());

  it("asks with CNI_COMMAND=VERSION and placeholder variables", async () => {
    const log = join(s.dir, "env");
    const p = s.stub("v", `echo "$CNI_COMMAND $CNI_NETNS $CNI_IFNAME $CNI_PATH" > ${log}; echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'`);
    expect((await getVersionInfo(p, { env: cleanEnv })).supportedVersions).toEqual(["0.4.0", "1.0.0"]);
    expect(readFileSync(log, "utf8")).toBe("VERSION dummy dummy dummy\n");
  });

  it("reads a pre-VERSION plugin's refusal as support for 0.1.0 only", async () => {
    const p = s.stub("old", `echo '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'; exit 1`);
    expect((await getVersionInfo(p, { env: cleanEnv })).supportedVersions).toEqual(["0.1.0"]);
  });

  it("reads a 0.2.0 answer without supportedVersions as 0.1.0 and 0.2.0", async () => {
    const p = s.stub("v020", `echo '{"cniVersion":"0.2.0"}'`);
    expect((await getVersionInfo(p, { env: cleanEnv })).supportedVersions).toEqual(["0.1.0", "0.2.0"]);
  });

  it("passes any other failure up", async () => {
    const p = s.stub("broken", `echo '{"code":999,"msg":"boom"}'; exit 1`);
    const e = await cniRejection(getVersionInfo(p, { env: cleanEnv }));
    expect(e.msg).toBe("boom");
  });

  it.skipIf(noGoPlugins)("understands Debian's Go plugins", async () => {
    const info = await getVersionInfo("/usr/lib/cni/loopback", { env: cleanEnv });
    expect(info.supportedVersions).toContain("1.0.0");
  });
});
