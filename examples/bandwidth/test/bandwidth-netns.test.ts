/**
 * bandwidth chained after our bridge + host-local, driven by our cnitool in
 * throwaway namespaces: transfers into and out of the container are held to
 * the configured rates within 20%, CHECK sees a limit removed by hand, DEL
 * removes the ifb device. Only 169.254.0.0/16 is used.
 */
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type TestNetns, createTestNetns, removeAllTestNetns } from "@tscni/netns/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { CNITOOL, PLUGIN_BIN } from "../../../test/support/plugin-bin.js";

const execFileAsync = promisify(execFile);
const DIST = PLUGIN_BIN;
const RATE = resolve(import.meta.dirname, "rate.mjs");
const INGRESS = 4_000_000;
const EGRESS = 2_000_000;

const skip = skipReason({ netns: true, commands: ["tc"], executables: [CNITOOL, join(DIST, "bandwidth"), join(DIST, "bridge"), join(DIST, "host-local")] });

const scratch: string[] = [];
afterAll(async () => {
  await removeAllTestNetns();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** Bits per second measured by a sink in `to` while a sender in `from` pushes for 2.5 s. */
async function transfer(from: TestNetns, to: TestNetns, address: string, port: number): Promise<number> {
  const sink = spawn("ip", ["netns", "exec", to.name, process.execPath, RATE, "sink", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  sink.stdout!.on("data", (d) => (out += d));
  const closed = new Promise<void>((done) => sink.on("close", () => done()));
  await new Promise<void>((ready) => sink.stdout!.once("data", () => ready()));
  await execFileAsync("ip", ["netns", "exec", from.name, process.execPath, RATE, "send", address, String(port), "2.5"], { timeout: 15_000 });
  const timer = setTimeout(() => sink.kill("SIGKILL"), 10_000);
  await closed;
  clearTimeout(timer);
  return Number(out.trim().split("\n").pop());
}

describe.skipIf(skip)(`bandwidth behind our bridge, through cnitool${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("holds traffic into and out of the container to the configured rates; CHECK; DEL removes the ifb", { timeout: 90_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "tscni-bw-"));
    scratch.push(root);
    const binDir = join(root, "bin");
    const confDir = join(root, "net.d");
    for (const d of [binDir, confDir]) mkdirSync(d);
    for (const p of ["bridge", "host-local", "bandwidth"]) symlinkSync(join(DIST, p), join(binDir, p));
    writeFileSync(
      join(confDir, "10-bwnet.conflist"),
      JSON.stringify({
        cniVersion: "1.1.0",
        name: "bwnet",
        plugins: [
          { type: "bridge", bridge: "bwbr0", isGateway: true, ipam: { type: "host-local", dataDir: join(root, "ipam"), ranges: [[{ subnet: "169.254.66.0/24" }]] } },
          { type: "bandwidth", capabilities: { bandwidth: true } },
        ],
      }),
    );
    const host = await createTestNetns("bw-host");
    const ctr = await createTestNetns("bw-ctr");
    await execFileAsync("ip", ["-n", host.name, "link", "set", "lo", "up"]);
    await execFileAsync("ip", ["-n", ctr.name, "link", "set", "lo", "up"]);
    const env = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", NETCONFPATH: confDir, CNI_PATH: binDir, CNI_CACHE_DIR: join(root, "cache") };
    const capArgs = { bandwidth: { ingressRate: INGRESS, ingressBurst: 80_000, egressRate: EGRESS, egressBurst: 80_000 } };
    const cnitool = async (verb: string) => {
      try {
        const { stdout } = await execFileAsync("ip", ["netns", "exec", host.name, CNITOOL, verb, "bwnet", ctr.path], { env: { ...env, CAP_ARGS: JSON.stringify(capArgs) } });
        return { code: 0, out: stdout };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: err.code ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
      }
    };

    const add = await cnitool("add");
    expect(add.code, add.out).toBe(0);
    const address = (JSON.parse(add.out) as { ips: { address: string }[] }).ips[0]!.address.split("/")[0]!;

    const into = await transfer(host, ctr, address, 5001);
    expect(into / INGRESS, `into the container: ${into} bit/s`).toBeGreaterThan(0.8);
    expect(into / INGRESS, `into the container: ${into} bit/s`).toBeLessThan(1.2);
    const outOf = await transfer(ctr, host, "169.254.66.1", 5002);
    expect(outOf / EGRESS, `out of the container: ${outOf} bit/s`).toBeGreaterThan(0.8);
    expect(outOf / EGRESS, `out of the container: ${outOf} bit/s`).toBeLessThan(1.2);

    expect((await cnitool("check")).code).toBe(0);
    const links = JSON.parse((await execFileAsync("ip", ["-n", host.name, "-j", "link", "show"])).stdout) as { ifname: string }[];
    const ifb = links.find((l) => /^bw[0-9a-f]{13}$/.test(l.ifname))!.ifname;
    const veth = links.find((l) => l.ifname.startsWith("veth"))!.ifname;
    await execFileAsync("ip", ["netns", "exec", host.name, "tc", "qdisc", "del", "dev", veth, "root"]);
    const tampered = await cnitool("check");
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain("rate none, want 4000000 bit/s");

    for (let i = 0; i < 2; i++) expect((await cnitool("del")).code).toBe(0);
    const after = JSON.parse((await execFileAsync("ip", ["-n", host.name, "-j", "link", "show"])).stdout) as { ifname: string }[];
    expect(after.map((l) => l.ifname)).not.toContain(ifb);
  });
});
