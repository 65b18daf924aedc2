/**
 * Many attachments at once through Debian's Go host-local (used here as the
 * only plugin of a list: libcni does not care what kind of plugin it runs):
 * parallel ADDs get distinct addresses and distinct cache files, and GC
 * DELs exactly the attachments that are no longer valid.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CniRuntime, parseConfList } from "@tscni/libcni";
import type { Result } from "@tscni/types";
import { skipReason } from "../../../test/support/prereq.js";

const skip = skipReason({ executables: ["/usr/lib/cni/host-local"] });

describe.skipIf(skip)(`parallel attachments through Go host-local${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "tscni-libcni-hl-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("20 parallel ADDs, then GC keeps the valid half and releases the rest", async () => {
    const cni = new CniRuntime({ path: ["/usr/lib/cni"], cacheDir: join(dir, "cache"), env: { PATH: "/usr/bin:/bin" } });
    const list = parseConfList(
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "tscni-par",
        plugins: [{ type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "169.254.81.0/24" }]], dataDir: join(dir, "ipam") } }],
      }),
    );
    const ids = Array.from({ length: 20 }, (_, i) => `ctr-${i}`);
    const results = (await Promise.all(ids.map((containerId) => cni.addNetworkList(list, { containerId, ifName: "eth0", netns: `/run/netns/${containerId}` })))) as Result[];
    const addresses = results.map((r) => r.ips?.[0]?.address);
    expect(new Set(addresses).size).toBe(20);
    expect(readdirSync(join(dir, "cache", "results")).sort()).toEqual(ids.map((id) => `tscni-par-${id}-eth0`).sort());

    const valid = ids.slice(0, 10).map((containerID) => ({ containerID, ifname: "eth0" }));
    await cni.gcNetworkList(list, { validAttachments: valid });
    expect((await cni.getCachedAttachments()).map((a) => a.containerId).sort()).toEqual(ids.slice(0, 10).sort());
    const leased = readdirSync(join(dir, "ipam", "tscni-par")).filter((f) => f.startsWith("169.254."));
    expect(leased.sort()).toEqual(addresses.slice(0, 10).map((a) => a!.split("/")[0]).sort());
  });
});
