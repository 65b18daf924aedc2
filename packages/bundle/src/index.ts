export { BundleError, type BundleErrorCode } from "./errors.js";
export { type BatchEntry, type BundleSource, type BundledCode, bundleCode, bundleEntries } from "./bundle.js";
export { executableBuildOptions, NEVER_INLINED } from "./esbuild-options.js";
export { type BuiltExecutable, type ExecutableOptions, buildExecutable, buildExecutables, DEFAULT_INTERPRETER } from "./executable.js";
export { type SeaOptions, type SeaStartup, buildSea, checkSeaSupport, DEFAULT_SEA_STARTUP, SEA_FUSE } from "./sea.js";
export { type InstallOptions, type Installed, install } from "./install.js";
export { writeFileAtomic, symlinkAtomic } from "./atomic.js";
export { containsPluginMain } from "./plugin-main-check.js";
export { LAZY_BUILTINS, lazyBuiltinsPlugin } from "./lazy-builtins.js";
