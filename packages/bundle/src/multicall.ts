import { BundleError } from "./errors.js";
import { guardLoad } from "./load-guard.js";

/** What a link (or the executable itself) may be called: a plain file name. */
const APPLET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkAppletNames(names: readonly string[]): void {
  if (names.length === 0) throw new BundleError("BAD_OPTION", "no plugin entry given: pass an entry, or at least one NAME=ENTRY applet");
  for (const name of names) {
    if (!APPLET_NAME.test(name)) {
      throw new BundleError("BAD_OPTION", `applet name ${JSON.stringify(name)} is not a plain file name (letters, digits, ".", "_", "-")`);
    }
  }
}

export interface LauncherOptions {
  /** Applet name -> absolute path of its entry file. */
  applets: Readonly<Record<string, string>>;
  /** Pick the applet by the name the process was exec'd as; otherwise there is exactly one applet. */
  dispatchOnName: boolean;
  /** Defer the run to the SEA startup snapshot's deserialize main function. */
  snapshotAware: boolean;
  /**
   * Run the applet inside the load guard (load-guard.ts). Needed where the
   * applet loads outside the guard around the whole bundle: in a snapshot's
   * deserialize main function.
   */
  guard?: boolean;
}

/**
 * In-process delegation (registered by a name-dispatching launcher): when a
 * plugin delegates and the file CNI_PATH resolves for the delegate is this very
 * executable (same device and inode, links followed) and names one of its
 * applets, that applet's dispatch runs in this process instead of an exec:
 * loaded with skel's capture hook set (pluginMain hands over the plugin and its
 * dispatch instead of binding the process), given a copy of the environment
 * and the stdin bytes, its stdout captured whole. @tscni/invoke judges that
 * answer exactly as an exec's (and skips this when TSCNI_DELEGATE_EXEC=1).
 * Anything unusual (the applet already loaded, a throw while loading) answers
 * undefined, and invoke execs as before. The two keys are @tscni/invoke's
 * INVOCATION_HOST_KEY and @tscni/skel's PLUGIN_CAPTURE_HOOK: the launcher is
 * generated text and imports neither. A host already registered (the tscni
 * daemon's) is left in place.
 */
const DELEGATE_HOST = `function registerDelegateHost() {
  const hostKey = Symbol.for("tscni.invocationHost");
  if (globalThis[hostKey]) return;
  const captureKey = Symbol.for("tscni.pluginMain.capture");
  const fs = require("node:fs");
  const loaded = new Map();
  let self;
  const same = (file) => {
    if (self === undefined) {
      try {
        const sea = require("node:sea");
        self = fs.statSync(sea && sea.isSea() ? process.execPath : process.argv[1]);
      } catch {
        self = null;
      }
    }
    if (!self) return false;
    try {
      const st = fs.statSync(file);
      return st.dev === self.dev && st.ino === self.ino;
    } catch {
      return false;
    }
  };
  const load = (name) => {
    if (loaded.has(name)) return loaded.get(name);
    let captured;
    globalThis[captureKey] = (c) => { if (!captured) captured = c; };
    try {
      applets[name]();
    } catch {
      captured = undefined;
    } finally {
      delete globalThis[captureKey];
    }
    loaded.set(name, captured);
    return captured;
  };
  globalThis[hostKey] = {
    env: () => undefined,
    run({ pluginPath, env, stdin }) {
      const name = pluginPath.slice(pluginPath.lastIndexOf("/") + 1);
      if (!Object.hasOwn(applets, name) || !same(pluginPath)) return undefined;
      const c = load(name);
      if (!c) return undefined;
      let stdout = "";
      let stderr = "";
      const copy = {};
      for (const [k, v] of Object.entries(env)) if (v !== undefined) copy[k] = String(v);
      return Promise.resolve(
        c.dispatch(c.plugin, {
          env: copy,
          stdin: Buffer.from(stdin),
          stdout: (chunk) => { stdout += chunk; },
          stderr: (chunk) => { stderr += chunk; },
        }),
      ).then((status) => ({ status, stdout: Buffer.from(stdout, "utf8"), stderr }));
    },
  };
}`;

/**
 * The source of the entry esbuild bundles for a multi-call executable or a SEA.
 * Each applet is `require`d, so esbuild wraps its modules in lazy initialisers:
 * an exec pays for loading the applet it runs, not the others.
 *
 * The name comes from process.argv[1]: for a script run through a symlink it is
 * the link's path, and a SEA sets it to argv[0] as exec'd (the link's path
 * again), never the resolved target.
 */
export function launcherSource(o: LauncherOptions): string {
  const names = Object.keys(o.applets);
  const table = names.map((n) => `${JSON.stringify(n)}: () => require(${JSON.stringify(o.applets[n])})`).join(",\n  ");
  const pick = o.dispatchOnName
    ? `const slash = (process.argv[1] || "").lastIndexOf("/");
  const name = (process.argv[1] || "").slice(slash + 1);
  const run = Object.hasOwn(applets, name) ? applets[name] : undefined;`
    : `const run = applets[${JSON.stringify(names[0])}];`;
  // An unknown name is a broken install; the runtime reads stdout, so it gets a CNI error object.
  const unknown = JSON.stringify({
    cniVersion: "1.0.0",
    code: 4,
    msg: "unknown plugin name",
    details: `this multi-call executable provides: ${names.join(", ")}; exec it through one of those names`,
  });
  const main = `function main() {
  ${pick}
  if (run) {
    ${o.dispatchOnName ? "registerDelegateHost();" : ""}
    ${o.guard ? guardLoad("run();") : "run();"}
    return;
  }
  process.stdout.write(${JSON.stringify(unknown)} + "\\n");
  process.exitCode = 1;
}`;
  const start = o.snapshotAware
    ? `const v8 = require("node:v8");
if (v8.startupSnapshot && v8.startupSnapshot.isBuildingSnapshot()) v8.startupSnapshot.setDeserializeMainFunction(main);
else main();`
    : "main();";
  return `const applets = {\n  ${table}\n};\n${o.dispatchOnName ? `${DELEGATE_HOST}\n` : ""}${main}\n${start}\n`;
}
