import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, test, vi } from "vitest";
import { skipReason } from "../../../test/support/prereq.js";
import { configFile, failing, namespacesStartingWith, removeTempDirs, runCli } from "./support.js";

afterAll(removeTempDirs);
vi.setConfig({ testTimeout: 120_000 });

// Debian's containernetworking-plugins 1.1.1 and exactly where each departs from
// the spec; every id is explained, with the spec text, in this package's README.
const CNI_PATH_REQUIRED = ["env.optional.ADD.CNI_PATH", "env.optional.DEL.CNI_PATH"];
const CODE_3_FOR_UNKNOWN_VERBS = ["gating.gc-before-1.1.0", "gating.status-before-1.1.0"];
const NO_CNI_VERSION_IN_ERRORS = ["error.cni-version"];
const CHECK_FAILS_ON_ROUTE_WITHOUT_GW = ["check.after-add", "netns.check"];

const plugins: Array<{ name: string; config?: string; args?: string[]; expected: string[] }> = [
  {
    name: "loopback",
    args: ["--ifname", "lo"],
    expected: [
      ...CNI_PATH_REQUIRED,
      ...CODE_3_FOR_UNKNOWN_VERBS,
      ...NO_CNI_VERSION_IN_ERRORS,
      // A 1.0.0-shaped result printed under the config's older version.
      "result.0.1.0",
      "result.0.2.0",
      "result.0.3.0",
      "result.0.3.1",
      "result.0.4.0",
    ],
  },
  { name: "host-local", config: "host-local", expected: [...CNI_PATH_REQUIRED, ...CODE_3_FOR_UNKNOWN_VERBS, ...NO_CNI_VERSION_IN_ERRORS] },
  { name: "static", config: "static", expected: [...CNI_PATH_REQUIRED, ...CODE_3_FOR_UNKNOWN_VERBS, ...NO_CNI_VERSION_IN_ERRORS] },
  { name: "bridge", config: "bridge", expected: [...CODE_3_FOR_UNKNOWN_VERBS, ...CHECK_FAILS_ON_ROUTE_WITHOUT_GW, ...NO_CNI_VERSION_IN_ERRORS] },
  { name: "ptp", config: "ptp", expected: [...CODE_3_FOR_UNKNOWN_VERBS, ...CHECK_FAILS_ON_ROUTE_WITHOUT_GW, ...NO_CNI_VERSION_IN_ERRORS] },
];

const skip = skipReason({ netns: true, commands: ["ip", "nsenter"], executables: plugins.map((p) => `/usr/lib/cni/${p.name}`) });
describe.skipIf(skip)(`Debian's Go plugins in throwaway namespaces${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test.concurrent.each(plugins)("$name fails exactly its known departures", async ({ name, config, args = [], expected }) => {
    const { status, report } = await runCli([`/usr/lib/cni/${name}`, "--netns", ...(config ? ["--config", configFile(config)] : []), ...args]);
    expect(failing(report)).toEqual([...expected].sort());
    expect(status).toBe(1);
    expect(report.claimedVersions).toEqual(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"]);
    // The namespace lifecycle ran: the plugin did real work that was compared with `ip`.
    for (const id of ["netns.add", "netns.del", "netns.del-again", "netns.readd-after-del", "netns.del-netns-gone"]) {
      expect(report.checks.find((c) => c.id === id)?.status, id).toBe("pass");
    }
    expect(namespacesStartingWith(report.namespacePrefix ?? "none")).toEqual([]);
  });

  test("a failure's command, namespaces included, repeats the plugin's answer in a shell", async () => {
    const { report } = await runCli(["/usr/lib/cni/static", "--netns", "--config", configFile("static")]);
    const check = report.checks.find((c) => c.id === "env.optional.ADD.CNI_PATH");
    const names = [...(check?.repro ?? "").matchAll(/ip netns add (\S+?)(?:;|\s)/g)].map((m) => m[1] as string);
    expect(names).toHaveLength(2);
    let stdout = "";
    try {
      execFileSync("sh", ["-c", check?.repro ?? "false"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      stdout = (e as { stdout: string }).stdout;
    } finally {
      for (const n of names) execFileSync("ip", ["netns", "del", n], { stdio: "ignore" });
    }
    expect(JSON.parse(stdout)).toEqual({ code: 4, msg: "required env variables [CNI_PATH] missing" });
  });

  test("loopback given CNI_IFNAME=eth0 configures lo instead of refusing the name", async () => {
    const { report } = await runCli(["/usr/lib/cni/loopback", "--netns"]);
    const check = report.checks.find((c) => c.id === "result.ifname");
    expect(check?.status).toBe("fail");
    expect(check?.message).toBe("CNI_IFNAME was eth0 but the sandbox interfaces of the result are lo");
  });
});
