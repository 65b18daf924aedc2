// npm run conformance: cni-conformance on the built binary, in throwaway network namespaces when run as root
// (the checker needs root to make them). Extra checker flags come from package.json's "tscni.conformance";
// relative directories in a --cni-path are taken from this project's root.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const { name, tscni } = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8"));
const extra = [...(tscni?.conformance ?? [])];
const at = extra.indexOf("--cni-path");
if (at >= 0 && extra[at + 1]) extra[at + 1] = extra[at + 1].split(":").map((d) => resolve(root, d)).join(":");
const args = [resolve(root, "dist", name), "--config", resolve(root, "conformance.json"), ...extra];
if (process.getuid?.() === 0) args.push("--netns");
else console.error("conformance: not root, so no --netns (the plugin runs in this namespace)");
const run = spawnSync("cni-conformance", [...args, ...process.argv.slice(2)], { stdio: "inherit" });
if (run.error) console.error(`conformance: ${run.error.message}`);
process.exitCode = run.status ?? 1;
