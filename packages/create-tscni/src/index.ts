export { createProject, packageNameProblem, TEMPLATES, UsageError } from "./create.js";
export type { CreateOptions, CreatedProject, TemplateName } from "./create.js";
