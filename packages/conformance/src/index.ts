export { runConformance } from "./run.js";
export type { ConformanceOptions, Report } from "./run.js";
export type { CheckResult, ExecStats, Status } from "./context.js";
export { formatText, formatJson, formatJunit, summaryLine } from "./report.js";
export { execInvocation, reproCommand } from "./exec.js";
export type { Invocation, Outcome, StdinMode } from "./exec.js";
