import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The e2e suite starts servers of its own and runs alone (`npm run test:e2e`).
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 20_000,
  },
});
