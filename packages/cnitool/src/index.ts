export { run, containerIdFor, parseCnitoolArgs, parseCapArgs, USAGE, type CliIO } from "./main.js";
