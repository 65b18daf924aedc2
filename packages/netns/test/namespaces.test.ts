import { afterEach, describe, expect, test } from "vitest";
import { deleteLinkForDel, isNetnsError, netns, openNetns, openNetnsForDel } from "@tscni/netns";
import { netnsState } from "@tscni/netns/internal";
import { createTestNetns, liveTestNetns, removeAllTestNetns, requireNetns } from "@tscni/netns/testkit";

const skip = requireNetns();

describe.skipIf(skip)(`iproute2 backend in real namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  afterEach(removeAllTestNetns);

  async function hostAndContainer() {
    const host = await createTestNetns("nsh");
    const ctr = await createTestNetns("nsc");
    return { host, ctr };
  }

  test("openNetns: a missing path is code 3, a file that is no namespace code 4, a namespace opens", async () => {
    const err3 = await openNetns("/run/netns/tscni-does-not-exist").catch((e: unknown) => e);
    expect(isNetnsError(err3, "netns-missing")).toBe(true);
    expect((err3 as { code: number }).code).toBe(3);
    const err4 = await openNetns("/etc/hostname").catch((e: unknown) => e);
    expect(isNetnsError(err4, "not-a-netns")).toBe(true);
    expect((err4 as { code: number }).code).toBe(4);
    const { path } = await createTestNetns("nso");
    expect((await openNetns(path)).path).toBe(path);
    expect(await netnsState(path)).toBe("ok");
  });

  test("openNetnsForDel: a handle for a namespace; nothing (and why) for empty, gone, or a leftover plain file", async () => {
    const { path } = await createTestNetns("nsd");
    expect((await openNetnsForDel(path))?.path).toBe(path);
    const why: string[] = [];
    const onSkip = (w: string) => why.push(w);
    expect(await openNetnsForDel("", { onSkip })).toBeUndefined();
    expect(await openNetnsForDel("/run/netns/tscni-never-made", { onSkip })).toBeUndefined();
    expect(await openNetnsForDel("/etc/hostname", { onSkip })).toBeUndefined();
    expect(why).toEqual(["CNI_NETNS is empty", "network namespace /run/netns/tscni-never-made no longer exists", "/etc/hostname is no longer a network namespace"]);
  });

  test("deleteLinkForDel: the link goes; a link or namespace already gone is success", async () => {
    const { ns, path } = await createTestNetns("nsl");
    await ns.batch([["link", "add", "tscni-dl0", "type", "bridge"]]);
    expect((await ns.links()).map((l) => l.name)).toContain("tscni-dl0");
    await deleteLinkForDel(path, "tscni-dl0");
    expect((await ns.links()).map((l) => l.name)).not.toContain("tscni-dl0");
    await expect(deleteLinkForDel(path, "tscni-dl0")).resolves.toBeUndefined();
    const why: string[] = [];
    await deleteLinkForDel("/run/netns/tscni-never-made", "eth0", { onSkip: (w) => why.push(w) });
    expect(why).toEqual(["network namespace /run/netns/tscni-never-made no longer exists"]);
  });

  test("a command in a namespace that is gone fails with kind netns-missing", async () => {
    const err = await netns("/run/netns/tscni-gone-x").links().catch((e: unknown) => e);
    expect(isNetnsError(err, "netns-missing")).toBe(true);
  });

  test("veth pair: peer created inside the container under CNI_IFNAME, addresses and routes with 1.1.0 attributes", async () => {
    const { host, ctr } = await hostAndContainer();
    const pair = await host.ns.createVethPair({ container: ctr.ns, containerIfName: "eth0", mtu: 1400 });
    expect(pair.hostName).toMatch(/^veth[0-9a-f]{8}$/);
    await host.ns.batch([
      ["link", "set", "dev", pair.hostName, "up"],
      ["addr", "add", "169.254.10.1/32", "dev", pair.hostName],
    ]);
    await host.ns.addRoute({ dst: "169.254.10.2/32", dev: pair.hostName, scope: 253 });
    await ctr.ns.setUp("eth0");
    await ctr.ns.addAddress({ dev: "eth0", cidr: "169.254.10.2/24" });
    await ctr.ns.addAddress({ dev: "eth0", cidr: "fd00:10::2/64", noDad: true });
    await ctr.ns.addRoute({ dst: "169.254.10.1/32", dev: "eth0", scope: 253 });
    await ctr.ns.addRoute({ dst: "169.254.99.0/24", gw: "169.254.10.1", dev: "eth0", mtu: 1300, advmss: 1200, priority: 7 });
    await ctr.ns.addRoute({ dst: "169.254.98.0/24", gw: "169.254.10.1", table: 100 });

    const { links, routes } = await ctr.ns.snapshot();
    const eth0 = links.find((l) => l.name === "eth0");
    expect(eth0).toMatchObject({ kind: "veth", up: true, mtu: 1400, mac: pair.containerMac });
    expect(eth0?.addresses.filter((a) => a.scope === "global").map((a) => a.cidr).sort()).toEqual(["169.254.10.2/24", "fd00:10::2/64"]);
    expect(eth0?.addresses.find((a) => a.family === 6)?.tentative).toBe(false);
    expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.99.0/24", gw: "169.254.10.1", mtu: 1300, advmss: 1200, metric: 7, table: 254 }));
    expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.98.0/24", table: 100 }));
    expect(routes).toContainEqual(expect.objectContaining({ dst: "169.254.10.1/32", scope: 253, dev: "eth0" }));

    const hostEnd = await host.ns.link(pair.hostName);
    expect(hostEnd).toMatchObject({ mac: pair.hostMac, mtu: 1400, up: true });

    // CNI_IFNAME taken in the container: a typed error saying so.
    const err = await host.ns.createVethPair({ container: ctr.ns, containerIfName: "eth0" }).catch((e: unknown) => e);
    expect(isNetnsError(err, "exists")).toBe(true);
    expect((err as Error).message).toContain("interface eth0 already exists in netns");

    // Deleting one end removes both; a second delete is success.
    expect(await ctr.ns.deleteLink("eth0")).toBe(true);
    expect(await ctr.ns.deleteLink("eth0")).toBe(false);
    expect(await host.ns.link(pair.hostName)).toBeUndefined();
  });

  test("ensureBridge: concurrent ensures all succeed and make one bridge; promisc and hairpin apply", async () => {
    const { host, ctr } = await hostAndContainer();
    const bridges = await Promise.all(Array.from({ length: 8 }, () => host.ns.ensureBridge({ name: "cni-br0", mtu: 1450, promisc: true })));
    expect(new Set(bridges.map((b) => b.index)).size).toBe(1);
    expect(bridges[0]).toMatchObject({ kind: "bridge", up: true, promisc: true, mtu: 1450 });
    const pair = await host.ns.createVethPair({ container: ctr.ns, containerIfName: "eth0" });
    await host.ns.setLink(pair.hostName, { master: "cni-br0", up: true, hairpin: true });
    expect(await host.ns.link(pair.hostName)).toMatchObject({ master: "cni-br0", hairpin: true });
    // A non-bridge of that name is refused.
    await expect(host.ns.ensureBridge({ name: pair.hostName })).rejects.toThrow(/is not a bridge/);
  });

  test("veth pair with host lines: one ip process sets up the port; a failing line names itself and leaves the pair to undo", async () => {
    const { host, ctr } = await hostAndContainer();
    await host.ns.ensureBridge({ name: "cni-br1" });
    const created: string[] = [];
    const pair = await host.ns.createVethPair({
      container: ctr.ns,
      containerIfName: "eth0",
      thenHost: (h) => [["link", "set", "dev", h, "master", "cni-br1", "up"], ["link", "set", "dev", h, "type", "bridge_slave", "hairpin", "on"]],
      onCreated: (p) => created.push(p.hostName),
    });
    expect(created).toEqual([pair.hostName]);
    expect(await host.ns.link(pair.hostName)).toMatchObject({ master: "cni-br1", hairpin: true, up: true });
    expect(await ctr.ns.link("eth0")).toMatchObject({ mac: pair.containerMac });

    const handed: string[] = [];
    const err = await host.ns
      .createVethPair({ container: ctr.ns, containerIfName: "eth1", hostName: "vport1", thenHost: (h) => [["link", "set", "dev", h, "master", "cni-nobr", "up"]], onCreated: (p) => handed.push(p.hostName) })
      .catch((e: unknown) => e);
    expect(isNetnsError(err, "not-found")).toBe(true);
    expect((err as Error & { msg: string }).msg).toBe(`ip link set dev vport1 master cni-nobr up failed in ${host.ns}`);
    expect((err as Error & { details: string }).details).toBe('Error: argument "cni-nobr" is wrong: Device does not exist');
    expect(handed).toEqual(["vport1"]);
    expect(await ctr.ns.link("eth1")).toBeDefined();

    // A container gone before the pair is made: the veth line is named, code 3 as for a lone `ip link add`.
    const gone = await host.ns
      .createVethPair({ container: netns("/run/netns/tscni-gone-v"), containerIfName: "eth0", hostName: "vport2", thenHost: (h) => [["link", "set", "dev", h, "up"]], onCreated: (p) => handed.push(p.hostName) })
      .catch((e: unknown) => e);
    expect(isNetnsError(gone, "netns-missing")).toBe(true);
    expect((gone as Error & { msg: string; code: number }).msg).toMatch(/^ip link add name vport2 .* netns \/run\/netns\/tscni-gone-v failed in netns /u);
    expect((gone as { code: number }).code).toBe(3);
    expect(handed).toEqual(["vport1"]);
    expect(await host.ns.link("vport2")).toBeUndefined();
  });

  test("moveLink moves and renames in one step", async () => {
    const { host, ctr } = await hostAndContainer();
    await host.ns.ip(["link", "add", "name", "mv0", "type", "veth", "peer", "name", "mv1"]);
    await host.ns.moveLink("mv0", ctr.ns, "net1");
    expect(await host.ns.link("mv0")).toBeUndefined();
    expect(await ctr.ns.link("net1")).toMatchObject({ kind: "veth" });
    await ctr.ns.renameLink("net1", "net2");
    expect(await ctr.ns.link("net2")).toBeDefined();
  });

  test("sysctl writes inside the namespace only", async () => {
    const { host, ctr } = await hostAndContainer();
    await ctr.ns.sysctl("net/ipv4/ip_forward", "1");
    expect(await ctr.ns.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(await host.ns.readSysctl("net.ipv4.ip_forward")).toBe("0");
  });

  test("waitForDad returns once IPv6 addresses are no longer tentative", async () => {
    const { host, ctr } = await hostAndContainer();
    await host.ns.createVethPair({ container: ctr.ns, containerIfName: "eth0", hostName: "vdad0" });
    await host.ns.setUp("vdad0");
    await ctr.ns.setUp("eth0");
    await ctr.ns.addAddress({ dev: "eth0", cidr: "fd00:20::2/64" });
    expect((await ctr.ns.addresses("eth0")).find((a) => a.cidr === "fd00:20::2/64")?.tentative).toBe(true);
    await ctr.ns.waitForDad("eth0", { timeoutMs: 5000 });
    expect((await ctr.ns.addresses("eth0")).every((a) => !a.tentative)).toBe(true);
  });

  test("deleting addresses and routes that are gone is success", async () => {
    const { ctr } = await hostAndContainer();
    await ctr.ns.setUp("lo");
    await ctr.ns.addAddress({ dev: "lo", cidr: "169.254.30.1/32" });
    expect(await ctr.ns.deleteAddress({ dev: "lo", cidr: "169.254.30.1/32" })).toBe(true);
    expect(await ctr.ns.deleteAddress({ dev: "lo", cidr: "169.254.30.1/32" })).toBe(false);
    expect(await ctr.ns.deleteRoute({ dst: "169.254.31.0/24", dev: "lo" })).toBe(false);
  });

  test("the test kit removed everything it created", async () => {
    const t = await createTestNetns("nsk");
    expect(liveTestNetns()).toContain(t.name);
    await t.remove();
    await t.remove();
    expect(liveTestNetns()).not.toContain(t.name);
    expect(await netnsState(t.path)).toBe("missing");
  });
});
