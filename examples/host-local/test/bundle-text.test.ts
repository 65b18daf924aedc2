/**
 * What the host-local script bundle carries. A property of the bundle form
 * only: the SEA holds every plugin in one file, the daemon's shim none.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { OURS } from "./support.js";

describe.skipIf(skipReason({ executables: [OURS] }))("host-local bundle", () => {
  it("carries no exec or namespace code: an IPAM plugin pays only for what it uses", () => {
    const text = readFileSync(OURS, "utf8");
    for (const marker of ["nsenter", "ip -batch", "delegateAdd"]) expect(text.includes(marker), marker).toBe(false);
    // The only child process is flock(1).
    expect(text.includes("/usr/bin/flock")).toBe(true);
  });
});
