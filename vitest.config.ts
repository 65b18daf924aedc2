import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const examples = "examples/*/test/**/*.test.ts";
// Plugins that act only inside the container's namespace (by CNI_NETNS) or on files. A daemon-mode plugin acts
// in the daemon's own network namespace, which here is the machine's: bridge, ptp, portmap and bandwidth (and
// the chains that use them) would change it. They run through shims in packages/daemon/test/netns.test.ts,
// with the daemon started in the test's "host" namespace. The suites run the plugins from namespaces of their
// own, so the project's daemon serves these to callers in any namespace (--any-netns) and refuses the others.
const namespaceIndependent = ["host-local", "static", "cluster-ipam", "loopback", "tuning"];
const daemonSafe = namespaceIndependent.map((p) => `examples/${p}/test/**/*.test.ts`);

// What one form has and the others do not: the script bundle's text; a plugin process killed mid-request (through
// the daemon's shims, killing the shim does not stop the request; the daemon's own kill -9 is tested with it).
const bundleOnly = ["**/bundle-text.test.ts"];
const execOnly = ["**/killed.test.ts"];

// Workspace packages resolve to their TypeScript sources through the "source"
// export condition, so tests never need a prior library build.
export default defineConfig({
  resolve: { conditions: ["source", "import", "node", "default"] },
  ssr: { resolve: { conditions: ["source", "import", "node", "default"], externalConditions: ["source"] } },
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    // The JSON report lets .ci/run print one plain "N passed, N failed, N skipped" closing line.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/test-results.json" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["packages/types/src/**", "packages/version/src/**", "packages/skel/src/**"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 90 },
    },
    // The example plugins' suites run three times, once per form of the same build (test/support/plugin-bin.ts):
    // script bundles with exec'd delegates, the SEA's links with delegates run in process (also under the
    // conformance checker), and the daemon's shims.
    projects: [
      { extends: true, test: { name: "bundle", include: ["packages/*/test/**/*.test.ts", examples, "test/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "sea",
          include: [examples, "packages/conformance/test/examples.test.ts", "packages/conformance/test/kinds.test.ts"],
          exclude: [...bundleOnly, "**/node_modules/**"],
          env: { TSCNI_TEST_FORM: "sea", TSCNI_TEST_PLUGIN_BIN: join(import.meta.dirname, "dist", "sea") },
        },
      },
      {
        extends: true,
        test: {
          name: "daemon",
          include: daemonSafe,
          exclude: [...bundleOnly, ...execOnly, "**/chain-netns.test.ts", "**/node_modules/**"],
          globalSetup: ["test/support/daemon-form-setup.ts"],
          env: {
            TSCNI_TEST_FORM: "daemon",
            TSCNI_TEST_PLUGIN_BIN: join(tmpdir(), `tscni-test-daemon-${process.pid}`, "bin"),
            TSCNI_TEST_ANY_NETNS: namespaceIndependent.join(","),
          },
        },
      },
    ],
  },
});
