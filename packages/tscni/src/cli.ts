// tscni: puts CNI plugins and their network config onto a node, keeps them there, and (daemon mode) serves them.
//
//   tscni install   --bin-dir DIR --conf-dir DIR [--conf FILE | --conf-json JSON] [--conf-name NAME]
//                   [--old-conf-name NAME]... [--plugins a,b] [--form bundle|sea] [--from DIR] [--sea FILE]
//                   [--watch [--watch-interval SECONDS]] [--daemon-socket PATH]
//   tscni uninstall --bin-dir DIR --conf-dir DIR [--conf-name NAME]... [--plugins a,b] [--socket-dir DIR]
//   tscni daemon    ...   (daemon mode; see `tscni daemon --help`)
//
// Exit status: 0 done, 1 failed (one line: what and why), 2 usage.
import { guardClosedOutput } from "@tscni/types/cli-output";
import { runCli } from "./main.js";

// A closed stdout/stderr: one line on stderr and a meaningful status, never a stack trace.
const exitWith = guardClosedOutput("tscni");
void runCli(process.argv.slice(2)).then(exitWith);
