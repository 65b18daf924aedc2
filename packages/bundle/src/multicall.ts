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
  return `const applets = {\n  ${table}\n};\n${main}\n${start}\n`;
}
