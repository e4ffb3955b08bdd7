import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { serviceModuleUrl } from "./src/migrations/service-modules.mjs";

export default defineConfig({
  // Migration files loaded in-process import `migration-service`: the service's own modules, as at run time.
  plugins: [{
    name: "migration-service-imports",
    enforce: "pre",
    resolveId(specifier: string) {
      const url = serviceModuleUrl(specifier);
      return url === null ? null : fileURLToPath(url);
    },
  }],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
