import { execFileSync } from "node:child_process";
import { createTestNetns, removeAllTestNetns, type TestNetns } from "@tscni/netns/testkit";
import { CniError } from "@tscni/types";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NftTable, natTarget, nftAddress, nftPort, nftPrefix, nftProtocol } from "../src/index.js";
import { skipReason } from "../../../test/support/prereq.js";

const skip = skipReason({ netns: true, commands: ["nft"] });

function ruleset(ns: TestNetns): string {
  return execFileSync("ip", ["netns", "exec", ns.name, "nft", "list", "ruleset"], { encoding: "utf8" });
}

describe.skipIf(skip)(`NftTable in a throwaway namespace${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let ns: TestNetns;
  let table: NftTable;
  beforeAll(async () => {
    ns = await createTestNetns("nft");
    table = new NftTable({
      plugin: "testing",
      netns: ns.path,
      chains: { pre: { declaration: "type nat hook prerouting priority dstnat; policy accept;" }, post: { declaration: "type nat hook postrouting priority srcnat; policy accept;" } },
    });
  });
  afterAll(() => removeAllTestNetns());

  const dnat = (port: number, to: string) => ({ chain: "pre", text: `meta nfproto ipv4 tcp dport ${port} dnat ip to ${natTarget(nftAddress(to, "to"), 80)}` });
  const a = { containerId: "ctr-a", ifName: "eth0" };
  const b = { containerId: "ctr-b", ifName: "eth0" };

  test("apply, verify, replace, remove: only the attachment's own rules, each change whole", async () => {
    await table.apply(a, [dnat(8080, "169.254.1.2"), { chain: "post", text: "ip saddr 169.254.1.2 ip daddr 169.254.1.2 masquerade" }]);
    await table.apply(b, [dnat(8081, "169.254.1.3")]);
    expect(await table.verify(a, [dnat(8080, "169.254.1.2"), { chain: "post", text: "ip saddr 169.254.1.2 ip daddr 169.254.1.2 masquerade" }])).toEqual([]);
    expect(ruleset(ns)).toContain("tcp dport 8081 dnat ip to 169.254.1.3:80");
    // A second apply replaces, never duplicates.
    await table.apply(a, [dnat(9090, "169.254.1.2")]);
    expect((await table.list()).length).toBe(2);
    expect(await table.verify(a, [dnat(8080, "169.254.1.2")])).toEqual([
      "missing in chain pre: meta nfproto ipv4 tcp dport 8080 dnat ip to 169.254.1.2:80",
      expect.stringMatching(/^unexpected rule in chain pre/),
    ]);
    expect(await table.remove(a)).toBe(1);
    expect(await table.remove(a)).toBe(0);
    expect(ruleset(ns)).not.toContain("9090");
    expect(ruleset(ns)).toContain("8081");
  });

  test("collect removes the rules of attachments not in the valid list, and only those", async () => {
    await table.apply(a, [dnat(8080, "169.254.1.2")]);
    expect(await table.collect([b])).toBe(1);
    expect(ruleset(ns)).toContain("8081");
    expect(ruleset(ns)).not.toContain("8080");
  });

  test("16 concurrent applies for different attachments all land, none twice", async () => {
    await Promise.all(Array.from({ length: 16 }, (_, i) => table.apply({ containerId: `c${i}`, ifName: "eth0" }, [dnat(10000 + i, `169.254.2.${i + 2}`)])));
    const listed = await table.list();
    for (let i = 0; i < 16; i++) expect(ruleset(ns)).toContain(`tcp dport ${10000 + i} dnat`);
    expect(listed.filter((r) => r.comment?.endsWith(" c3/eth0"))).toHaveLength(1);
  });

  test("rule text with anything but the words values.ts produces is refused before nft runs", async () => {
    await expect(table.apply(a, [{ chain: "pre", text: 'tcp dport 1 accept; flush ruleset' }])).rejects.toThrow(/unexpected characters/);
    await expect(table.apply({ containerId: 'x"; flush ruleset; "', ifName: "eth0" }, [])).rejects.toBeInstanceOf(CniError);
  });
});

describe("values that reach a rule", () => {
  test.each([
    [() => nftAddress("169.254.01.2", "f"), "f: not an IP address"],
    [() => nftAddress("1.2.3.4; flush ruleset", "f"), "f: not an IP address"],
    [() => nftPrefix("169.254.0.0/33", "p"), "p: not a CIDR"],
    [() => nftPort(0, "hostPort"), "hostPort: not a port number"],
    [() => nftPort(70000, "hostPort"), "hostPort: not a port number"],
    [() => nftPort("80" as unknown as number, "hostPort"), "hostPort: not a port number"],
    [() => nftProtocol("icmp", "protocol"), "protocol: expected"],
  ])("%s is refused with code 7 naming the field", (fn, message) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CniError);
    expect((caught as CniError).code).toBe(7);
    expect((caught as CniError).message).toContain(message);
  });

  test("canonical spellings", () => {
    expect(nftAddress("FD00:0:0::2", "f")).toEqual({ family: 6, text: "fd00::2" });
    expect(nftPrefix("169.254.7.9/24", "f").text).toBe("169.254.7.0/24");
    expect(natTarget(nftAddress("fd00::2", "f"), 53)).toBe("[fd00::2]:53");
  });
});
