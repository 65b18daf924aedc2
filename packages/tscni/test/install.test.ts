/**
 * `tscni install` / `uninstall` on a node's directories (temp dirs standing in
 * for /opt/cni/bin and /etc/cni/net.d): binaries first and config last,
 * idempotence, refusals that change nothing, --watch repairs, uninstall order.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, watch, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { execVersion } from "../src/smoke.js";
import { bridgeConflist, copyBuild, type Dirs, distBin, launchedScript, nodeDirs, startTscni, TSCNI, tscni, waitFor } from "./helpers.js";
import { skipReason } from "../../../test/support/prereq.js";

const PLUGINS = ["bridge", "host-local", "loopback"];
const skip = skipReason({ executables: [TSCNI, ...PLUGINS.map((p) => join(distBin, p))] });

const made: Dirs[] = [];
afterEach(() => {
  for (const d of made.splice(0)) d.remove();
});
function dirs(): Dirs {
  const d = nodeDirs();
  made.push(d);
  return d;
}
const installArgs = (d: Dirs, ...more: string[]) => ["install", "--bin-dir", d.bin, "--conf-dir", d.conf, ...more];

function readOrNothing(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function snapshot(dir: string): Record<string, { mtimeMs: number; ino: number }> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, { mtimeMs: statSync(join(dir, n)).mtimeMs, ino: statSync(join(dir, n)).ino }]));
}

describe.skipIf(skip)(`tscni install${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("installs the config's plugins into empty dirs, config last; a second run changes nothing (mtimes, inodes)", async () => {
    const d = dirs();
    const conf = bridgeConflist(d.ipam);
    const first = await tscni(installArgs(d, "--conf-json", conf));
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split("\n");
    // Every binary line comes before the config line.
    expect(lines.findIndex((l) => l === "wrote 10-tscni.conflist")).toBe(lines.filter((l) => l.startsWith("wrote")).length - 1);
    expect(readdirSync(d.bin).sort()).toEqual([".tscni-bundles", ".tscni-installed.json", ...PLUGINS].sort());
    // Each name is a launcher of the build's bundle, stored with its code cache under a name made from its content.
    const store = join(d.bin, ".tscni-bundles");
    for (const p of PLUGINS) {
      const script = launchedScript(d.bin, p)!;
      expect(script).toMatch(new RegExp(`^${store}/[0-9a-f]{16}/${p}$`));
      expect(readFileSync(script).equals(readFileSync(join(distBin, p)))).toBe(true);
      expect(readFileSync(`${script}.v8cache`).equals(readFileSync(join(distBin, `${p}.v8cache`)))).toBe(true);
      expect(statSync(join(d.bin, p)).mode & 0o777).toBe(0o755);
      expect(statSync(script).mode & 0o777).toBe(0o755);
    }
    expect(readdirSync(store)).toHaveLength(PLUGINS.length);
    expect(readFileSync(join(d.conf, "10-tscni.conflist"), "utf8")).toBe(conf);
    const before = { bin: snapshot(d.bin), store: snapshot(store), conf: snapshot(d.conf) };
    await new Promise((r) => setTimeout(r, 20));
    const second = await tscni(installArgs(d, "--conf-json", conf));
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe("install done: everything already in place");
    expect({ bin: snapshot(d.bin), store: snapshot(store), conf: snapshot(d.conf) }).toEqual(before);
  });

  test("--old-conf-name removes the previous name once the new one is in place; --plugins installs more than the config names", async () => {
    const d = dirs();
    const conf = bridgeConflist(d.ipam);
    expect((await tscni(installArgs(d, "--conf-json", conf, "--conf-name", "10-old.conflist"))).code).toBe(0);
    writeFileSync(join(d.conf, "99-other.conflist"), "{}");
    const r = await tscni(installArgs(d, "--conf-json", conf, "--old-conf-name", "10-old.conflist", "--plugins", "bridge,host-local,loopback,ptp"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 10-tscni.conflist\nremoved 10-old.conflist\n/);
    expect(readdirSync(d.conf).sort()).toEqual(["10-tscni.conflist", "99-other.conflist"]);
    expect(existsSync(join(d.bin, "ptp"))).toBe(true);
  });

  test("a binary that fails its smoke test is refused: nothing changes, the old ones stay, no temp file is left", async () => {
    const d = dirs();
    const conf = bridgeConflist(d.ipam);
    expect((await tscni(installArgs(d, "--conf-json", conf))).code).toBe(0);
    const before = Object.fromEntries(PLUGINS.map((p) => [p, readFileSync(join(d.bin, p))]));
    const storeBefore = readdirSync(join(d.bin, ".tscni-bundles")).sort();
    const broken = copyBuild(join(d.root, "broken-build"), PLUGINS);
    // A newer bridge that would be fine, and a host-local that cannot answer VERSION.
    writeFileSync(join(broken, "bridge"), Buffer.concat([readFileSync(join(broken, "bridge")), Buffer.from("\n// a newer build\n")]));
    writeFileSync(join(broken, "host-local"), "#!/bin/sh\necho 'cannot start' >&2\nexit 3\n", { mode: 0o755 });
    writeFileSync(join(d.root, "changed.conflist"), bridgeConflist(d.ipam, { subnet: "169.254.82.0/24" }));
    const r = await tscni(installArgs(d, "--conf", join(d.root, "changed.conflist"), "--from", broken));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^tscni install: plugin host-local refused: .*VERSION failed \(exit 3\): cannot start/);
    for (const p of PLUGINS) expect(readFileSync(join(d.bin, p)).equals(before[p]!), p).toBe(true);
    expect(readFileSync(join(d.conf, "10-tscni.conflist"), "utf8")).toBe(conf);
    expect(readdirSync(d.bin).filter((n) => n.includes(".tmp-"))).toEqual([]);
    // The refused build's scripts left the store again: only the installed ones are there.
    expect(readdirSync(join(d.bin, ".tscni-bundles")).sort()).toEqual(storeBefore);
  });

  test("bundle form: a deleted stored script is written again by the next install; until then its launcher answers code 999 naming it, no stack trace", async () => {
    const d = dirs();
    expect((await tscni(installArgs(d, "--plugins", "loopback"))).code).toBe(0);
    const script = launchedScript(d.bin, "loopback")!;
    rmSync(script);
    const r = spawnSync(join(d.bin, "loopback"), [], { input: '{"cniVersion":"1.0.0","name":"n","type":"loopback"}', env: { CNI_COMMAND: "ADD", PATH: process.env.PATH }, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: "1.0.0", code: 999, msg: expect.stringContaining(`exec of its bundle ${script} failed`) });
    expect(r.stdout + r.stderr).not.toMatch(/\bat .*:\d+/);
    const again = await tscni(installArgs(d, "--plugins", "loopback"));
    expect(again.stdout).toContain(`wrote .tscni-bundles/${basename(dirname(script))}/loopback\n`);
    expect(readFileSync(script).equals(readFileSync(join(distBin, "loopback")))).toBe(true);
    const version = spawnSync(join(d.bin, "loopback"), [], { input: "", env: { CNI_COMMAND: "VERSION", PATH: process.env.PATH }, encoding: "utf8" });
    expect(version.status, version.stdout).toBe(0);
  });

  test("bundle form: a script no launcher execs is kept a while after the install that retired it, then removed", async () => {
    const d = dirs();
    const broken = copyBuild(join(d.root, "other-build"), ["loopback"]);
    writeFileSync(join(broken, "loopback"), Buffer.concat([readFileSync(join(broken, "loopback")), Buffer.from("\n// another build\n")]));
    expect((await tscni(installArgs(d, "--plugins", "loopback"))).code).toBe(0);
    const first = basename(dirname(launchedScript(d.bin, "loopback")!));
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(d.bin, ".tscni-bundles", first), old, old);
    // The new build retires the first script: stamped now, so a launcher exec'd just before can still open it.
    expect((await tscni(installArgs(d, "--plugins", "loopback", "--from", broken))).code).toBe(0);
    const second = basename(dirname(launchedScript(d.bin, "loopback")!));
    expect(second).not.toBe(first);
    const store = join(d.bin, ".tscni-bundles");
    expect(readdirSync(store).sort()).toEqual([first, second].sort());
    expect(Date.now() - statSync(join(store, first)).mtimeMs).toBeLessThan(60_000);
    // A later run removes it once it has been retired long enough (here: backdated by an hour).
    utimesSync(join(store, first), old, old);
    const third = await tscni(installArgs(d, "--plugins", "loopback", "--from", broken));
    expect(third.stdout).toContain(`removed .tscni-bundles/${first}\n`);
    expect(readdirSync(store)).toEqual([second]);
  });

  test("a config naming a plugin that is not in the bin dir is refused and not written", async () => {
    const d = dirs();
    const r = await tscni(installArgs(d, "--conf-json", bridgeConflist(d.ipam), "--plugins", "bridge,loopback"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config names plugin "host-local", but .*host-local is not an executable; config not written/);
    expect(readdirSync(d.conf)).toEqual([]);
    expect(existsSync(join(d.bin, "bridge"))).toBe(true);
  });

  test.each([
    ["not JSON", "{", /config --conf-json is invalid: not JSON/],
    ["a list in a .conf name", null, /is a configuration list, but 10-x.conf is loaded as a single config/],
    ["no cniVersion", JSON.stringify({ name: "n", plugins: [{ type: "loopback" }] }), /names no cniVersion/],
    ["a cniVersion the plugins do not support", JSON.stringify({ cniVersion: "9.9.9", name: "n", plugins: [{ type: "loopback" }] }), /cniVersion 9.9.9 is not supported by plugin "loopback"/],
    ["no plugins", JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [] }), /config --conf-json is invalid: .*no plugins in list/],
  ])("bad config (%s): exit 1, one line, nothing written to the conf dir", async (_what, text, message) => {
    const d = dirs();
    const extra = text === null ? ["--conf-name", "10-x.conf"] : [];
    const r = await tscni(installArgs(d, "--conf-json", text ?? bridgeConflist(d.ipam), ...extra));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(existsSync(d.conf) ? readdirSync(d.conf) : []).toEqual([]);
  });

  test.each([
    [["install"], /--bin-dir is required/],
    [["install", "--bin-dir", "/x", "--conf-dir", "/y", "--bogus"], /Unknown option '--bogus'/],
    [["install", "--bin-dir", "/x", "--conf-dir", "/y", "--plugins", "loopback", "--form", "zip"], /--form must be one of bundle, sea/],
    [["install", "--bin-dir", "/x", "--conf-dir", "/y", "--plugins", "../evil"], /--plugins entry "..\/evil" is not a plain file name/],
    [["install", "--bin-dir", "/x", "--conf-dir", "/y", "--plugins", "loopback", "--conf-name", "10-x.txt"], /must end in .conflist, .conf or .json/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ])("usage error %j: exit 2", async (args, message) => {
    const r = await tscni(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test("config last: at the instant the config appears, every plugin it names answers VERSION (20 runs)", async () => {
    let checked = 0;
    for (let run = 0; run < 20; run++) {
      const d = dirs();
      mkdirSync(d.conf, { recursive: true });
      const seen: Promise<void>[] = [];
      const watcher = watch(d.conf, (_event, name) => {
        if (name !== "10-tscni.conflist" || seen.length || !existsSync(join(d.conf, name))) return;
        seen.push(
          Promise.all(PLUGINS.map((p) => execVersion(join(d.bin, p)))).then((answers) => {
            checked += answers.length;
          }),
        );
      });
      try {
        const r = await tscni(installArgs(d, "--conf-json", bridgeConflist(d.ipam)));
        expect(r.code, r.stderr).toBe(0);
        await waitFor("the config event", () => seen.length > 0, 2000);
        await Promise.all(seen);
      } finally {
        watcher.close();
      }
      d.remove();
    }
    expect(checked).toBe(20 * PLUGINS.length);
  }, 180_000);
});

describe.skipIf(skip)(`tscni install --watch${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("restores a deleted binary, a changed binary, a deleted and a changed config, and a replaced bin dir within 2 s, logging each; SIGTERM leaves the config in place", async () => {
    const d = dirs();
    const conf = bridgeConflist(d.ipam);
    // A long periodic check: the repairs below must come from the file events.
    const w = startTscni(installArgs(d, "--conf-json", conf, "--watch", "--watch-interval", "600"));
    try {
      await waitFor("the watch to start", () => w.output().includes("watching"), 20_000);
      const hostLocal = readFileSync(join(d.bin, "host-local"));
      const loopback = readFileSync(join(d.bin, "loopback"));
      const repairs: Record<string, number> = {};
      execFileSync("rm", [join(d.bin, "host-local")]);
      repairs.binary = await waitFor("host-local restored", () => existsSync(join(d.bin, "host-local")) && readFileSync(join(d.bin, "host-local")).equals(hostLocal), 2000);
      // A changed binary (as an editor or a careless `cp` leaves it): replaced by the install's bytes.
      writeFileSync(join(d.bin, ".edit"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      renameSync(join(d.bin, ".edit"), join(d.bin, "loopback"));
      repairs.changedBinary = await waitFor("loopback restored", () => readFileSync(join(d.bin, "loopback")).equals(loopback), 2000);
      execFileSync("rm", [join(d.conf, "10-tscni.conflist")]);
      repairs.config = await waitFor("config restored", () => readOrNothing(join(d.conf, "10-tscni.conflist")) === conf, 2000);
      writeFileSync(join(d.conf, "10-tscni.conflist"), '{"cniVersion":"1.1.0","name":"tampered","plugins":[{"type":"bridge"}]}');
      repairs.changed = await waitFor("changed config restored", () => readOrNothing(join(d.conf, "10-tscni.conflist")) === conf, 2000);
      // The bin dir replaced by a new, empty one (a remount, `mv` and `mkdir`): filled again, and watched again,
      // so a later deletion in it is seen at once, not at the periodic check.
      renameSync(d.bin, `${d.bin}.old`);
      mkdirSync(d.bin);
      repairs.replacedDir = await waitFor("new bin dir filled", () => existsSync(join(d.bin, "bridge")) && readdirSync(d.bin).filter((n) => !n.startsWith(".")).length === 3, 2000);
      await new Promise((r) => setTimeout(r, 200));
      execFileSync("rm", [join(d.bin, "bridge")]);
      repairs.inReplacedDir = await waitFor("bridge restored in the new bin dir", () => existsSync(join(d.bin, "bridge")), 2000);
      for (const ms of Object.values(repairs)) expect(ms).toBeLessThan(2000);
      console.log(`--watch repairs (ms): ${JSON.stringify(repairs)}`);
      expect(w.output()).toMatch(/repaired: wrote host-local\n/);
      expect(w.output()).toMatch(/repaired: wrote 10-tscni.conflist\n/);
    } finally {
      w.child.kill("SIGTERM");
    }
    const code = await new Promise((r) => w.child.once("close", r));
    expect(code).toBe(0);
    expect(readFileSync(join(d.conf, "10-tscni.conflist"), "utf8")).toBe(conf);
    expect(existsSync(join(d.bin, "host-local"))).toBe(true);
  }, 60_000);
});

describe.skipIf(skip)(`tscni uninstall${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("removes the config before any binary, then the binaries and the record; a second run is a no-op", async () => {
    const d = dirs();
    writeFileSync(join(d.root, "keep"), "");
    expect((await tscni(installArgs(d, "--conf-json", bridgeConflist(d.ipam)))).code).toBe(0);
    const socketDir = join(d.root, "run-tscni");
    mkdirSync(socketDir);
    writeFileSync(join(socketDir, "daemon.sock"), "");
    // Another project's plugin in the same directory stays.
    writeFileSync(join(d.bin, "portmap"), "#!/bin/sh\n", { mode: 0o755 });
    const order: string[] = [];
    const watchers = [d.bin, d.conf].map((dir) => watch(dir, (event, name) => {
      if (event === "rename" && name && !existsSync(join(dir, name))) order.push(name);
    }));
    try {
      const r = await tscni(["uninstall", "--bin-dir", d.bin, "--conf-dir", d.conf, "--socket-dir", socketDir]);
      expect(r.code, r.stderr).toBe(0);
      await waitFor("every removal event", () => order.length >= 3 + PLUGINS.length, 2000);
      // Config, launchers, their stored scripts and the store, the record, and last the daemon's socket directory.
      expect(r.stdout.trim().split("\n").slice(-2)).toEqual([`removed ${socketDir}`, `uninstall done: ${1 + PLUGINS.length * 2 + 3} removal(s)`]);
      expect(existsSync(socketDir)).toBe(false);
    } finally {
      for (const w of watchers) w.close();
    }
    expect(order[0]).toBe("10-tscni.conflist");
    expect(new Set(order.slice(1))).toEqual(new Set([...PLUGINS, ".tscni-bundles", ".tscni-installed.json"]));
    expect(readdirSync(d.bin)).toEqual(["portmap"]);
    expect(readdirSync(d.conf)).toEqual([]);
    const again = await tscni(["uninstall", "--bin-dir", d.bin, "--conf-dir", d.conf]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe("uninstall done: nothing was installed");
  });
});
