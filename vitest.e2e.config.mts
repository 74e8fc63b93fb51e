import { defineConfig } from "vitest/config";

// The end-to-end suite: the real Pulumi CLI, language host and Kubernetes provider against a
// real kube-apiserver on 127.0.0.1, all built and started by scripts/ (global setup).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    setupFiles: ["test/setup.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 3_600_000,
  },
});
