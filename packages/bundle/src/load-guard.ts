/**
 * A plugin whose top-level code throws (an eagerly built schema, a bad import)
 * never reaches skel, so nothing would speak CNI: Node prints a stack trace and
 * the runtime reads an empty stdout. Every plugin executable therefore runs its
 * bundle inside this guard, which answers such a throw with one CNI error
 * object (code 999) on stdout, one line on stderr, and exit status 1, on every
 * verb, VERSION included.
 *
 * The guard is source text in every executable, so it stays small and loads
 * nothing but node:fs, and only after a throw. Module loading is synchronous in
 * a CommonJS bundle, so a try/catch around running it sees every such throw.
 *
 * The error's cniVersion is the one stdin names when it is one of the spec's
 * versions (what skel would answer with), else the newest. stdin is read only
 * when it is not a terminal, so a person running the file by hand is not kept
 * waiting. process.exit, not exitCode: a pluginMain that was already called
 * before the throw must not add a second document.
 */

/** The spec's versions, newest last; kept in step with @tscni/types (the bundle does not import the SDK). */
const SPEC_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** The error object's msg (its details: the thrown error's name and message). */
export const LOAD_FAILURE_MSG = "the plugin failed to load";

const REPORT = `function(e){const fs=require("node:fs");let v=${JSON.stringify(SPEC_VERSIONS.at(-1))},why;
try{why=e instanceof Error?e.name+": "+e.message:String(e)}catch{why="a value that cannot be shown"}
try{if(!fs.fstatSync(0).isCharacterDevice()){const d=JSON.parse(fs.readFileSync(0,"utf8"));if(d&&${JSON.stringify(SPEC_VERSIONS)}.includes(d.cniVersion))v=d.cniVersion}}catch{}
const doc=JSON.stringify({cniVersion:v,code:999,msg:${JSON.stringify(LOAD_FAILURE_MSG)},details:why})+"\\n";
try{fs.writeSync(1,doc)}catch{}try{fs.writeSync(2,"plugin failed to load: "+why.replace(/\\n/g," ")+"\\n")}catch{}
process.exit(1)}`;

/** `statements` (JS that runs the bundle) wrapped so a throw from it becomes a CNI error object. */
export function guardLoad(statements: string): string {
  return `try{${statements}}catch(e){(${REPORT})(e)}`;
}

/** A bundle (CommonJS, as esbuild writes it) run inside the guard, with the module arguments of the file it is in. */
export function guardedBundle(code: string): string {
  return `${guardLoad(`(function (exports, require, module, __filename, __dirname) {${code}\n}).call(this, exports, require, module, __filename, __dirname);`)}\n`;
}
