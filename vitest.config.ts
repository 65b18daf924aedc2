import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const examples = "examples/*/test/**/*.test.ts";
// The conformance checker's runs against the example plugins, in whatever form the project gives them.
const conformance = ["packages/conformance/test/examples.test.ts", "packages/conformance/test/kinds.test.ts"];
// What one form has and the others do not: the script bundle's text; a plugin process killed mid-request (through
// the daemon's shims, killing the shim does not stop the request; the daemon's own kill -9 is tested with it).
const bundleOnly = ["**/bundle-text.test.ts"];
const execOnly = ["**/killed.test.ts"];
// A plugin's own sockets are opened in the daemon's namespace (Node cannot open one in another): cluster-ipam's
// etcd, which this test serves inside each node's namespace only, is out of the daemon's reach.
const daemonNamespaceSockets = ["examples/cluster-ipam/test/chain-netns.test.ts"];

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
          include: [examples, ...conformance],
          exclude: [...bundleOnly, "**/node_modules/**"],
          env: { TSCNI_TEST_FORM: "sea", TSCNI_TEST_PLUGIN_BIN: join(import.meta.dirname, "dist", "sea") },
        },
      },
      {
        extends: true,
        test: {
          name: "daemon",
          // Every example suite and the conformance checker. The suites run plugins from namespaces of their own (never
          // the machine's); the daemon, in the machine's, runs each request's host side in its caller's, as an
          // exec'd plugin acts in its runtime's.
          include: [examples, ...conformance],
          exclude: [...bundleOnly, ...execOnly, ...daemonNamespaceSockets, "**/node_modules/**"],
          globalSetup: ["test/support/daemon-form-setup.ts"],
          env: { TSCNI_TEST_FORM: "daemon", TSCNI_TEST_PLUGIN_BIN: join(tmpdir(), `tscni-test-daemon-${process.pid}`, "bin") },
        },
      },
    ],
  },
});
