/** Delegation to Debian's Go host-local IPAM plugin, the way a TypeScript bridge plugin uses it. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { delegateAdd, delegateCheck, delegateDel } from "@tscni/invoke";
import { skipReason } from "../../../test/support/prereq.js";
import { cniRejection } from "../../../test/support/cni-error.js";

const skip = skipReason({ executables: ["/usr/lib/cni/host-local"] });

describe.skipIf(skip)(`delegating to Go host-local${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "tscni-host-local-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const env = () => ({
    PATH: "/usr/bin:/bin",
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "ctr-delegate-1",
    CNI_NETNS: "/run/netns/unused",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/usr/lib/cni",
  });
  const config = () => ({
    cniVersion: "1.0.0",
    name: "tscni-delegate",
    type: "my-bridge",
    ipam: { type: "host-local", ranges: [[{ subnet: "169.254.80.0/24" }]], dataDir: join(dir, "ipam") },
  });

  it("allocates on ADD, checks, and releases on DEL", async () => {
    const result = await delegateAdd("host-local", config(), { env: env() });
    expect(result.cniVersion).toBe("1.1.0");
    expect(result.ips).toEqual([{ address: "169.254.80.2/24", gateway: "169.254.80.1" }]);
    expect(readdirSync(join(dir, "ipam", "tscni-delegate"))).toContain("169.254.80.2");
    await delegateCheck("host-local", config(), { env: env() });
    await delegateDel("host-local", config(), { env: env() });
    expect(readdirSync(join(dir, "ipam", "tscni-delegate"))).not.toContain("169.254.80.2");
    // DEL is idempotent.
    await delegateDel("host-local", config(), { env: env() });
  });

  it("passes host-local's own error up with its code", async () => {
    const bad = { ...config(), ipam: { type: "host-local", ranges: [[{ subnet: "169.254.80.0/24", rangeStart: "10.0.0.1" }]], dataDir: join(dir, "ipam") } };
    const e = await cniRejection(delegateAdd("host-local", bad, { env: env() }));
    expect(e.msg).toContain("10.0.0.1");
  });
});
