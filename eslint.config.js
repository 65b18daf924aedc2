// Lint = the promise rules that need type information, nothing else: a
// missed `await` makes a plugin report success for work that failed (the
// runtime gets exit 0 and a result). Formatting and style stay out of it.
// The type-checker reads the root tsconfig.json, so workspace packages resolve
// to their sources through the "source" condition, as in the tests.
import tseslint from "typescript-eslint";

export default tseslint.config(
  // test/fixtures/lint holds a deliberate mistake that test/lint.test.ts lints on purpose.
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.d.ts", "test/fixtures/lint/**"] },
  {
    // The same sources tsconfig.json type-checks (build leftovers and .d.ts files are not ours to lint).
    files: ["packages/*/src/**/*.ts", "packages/*/test/**/*.ts", "examples/*/src/**/*.ts", "examples/*/test/**/*.ts", "test/**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
);
