import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../src/config/package-root.ts";
import { loadMigrations } from "../../src/migrations/loader.ts";
import { serviceModuleUrl } from "../../src/migrations/service-modules.mjs";
import { makeTempDir } from "../helpers/migration-fixtures.ts";
import { runCli } from "../cli/cli-process.ts";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A migrations directory whose one file imports a module of the service that the package does not export. */
function deepImportDir(): string {
  const dir = makeTempDir("mig-imports-");
  dirs.push(dir);
  writeFileSync(join(dir, "0001_deep.mjs"), `import "migration-service/src/engine/fence.ts";\nexport default { tables: ["item"] };\n`);
  return dir;
}

describe("migration-service in a migration file", () => {
  it("means the service's own source modules, by the package's exports", () => {
    expect(serviceModuleUrl("migration-service")).toBe(pathToFileURL(join(PACKAGE_ROOT, "src/index.ts")).href);
    expect(serviceModuleUrl("migration-service/client")).toBe(pathToFileURL(join(PACKAGE_ROOT, "src/client.ts")).href);
    expect(serviceModuleUrl("migration-services")).toBeNull();
    expect(serviceModuleUrl("pg")).toBeNull();
    expect(serviceModuleUrl("./migration-service")).toBeNull();
  });

  const UNEXPORTED = `Cannot import "migration-service/src/engine/fence.ts": the migration service exports "migration-service", "migration-service/client", "migration-service/package.json"`;

  it("refuses a subpath the package does not export, naming the ones it does", async () => {
    await expect(loadMigrations(deepImportDir())).rejects.toThrow(UNEXPORTED);
  });

  it("refuses it the same way when `migrations serve` starts", async () => {
    const dir = deepImportDir();
    const result = await runCli(["serve", "--migrations", dir, "--database", `sqlite:${join(dir, "app.db")}`, "--dev", "--port", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Migration file "0001_deep.mjs" cannot be imported: ${UNEXPORTED}`);
  });

  // A pool thread imports its entry, then migration files (transform threads start only when the command's
  // thread is saturated, so no small end-to-end run reaches them).
  it.each(["worker.mjs", "transform-worker.mjs"])("means the same on the threads of src/runner/%s", async (entry) => {
    const dir = makeTempDir("mig-imports-");
    dirs.push(dir);
    const file = join(dir, "0001_full_name.ts");
    writeFileSync(file, `import { sql } from "migration-service";\nexport default { tables: ["customer"], transform: { customer: { full_name: sql\`first || \${" "}\`} } };\n`);
    const thread = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
      (async () => {
        await import(workerData.entry);
        const module = await import(workerData.file);
        const value = module.default.tables ? module.default : module.default.default;
        parentPort.postMessage(JSON.stringify(value));
      })().catch((error) => parentPort.postMessage(String(error)));`,
      { eval: true, workerData: { entry: pathToFileURL(join(PACKAGE_ROOT, "src/runner", entry)).href, file: pathToFileURL(file).href } },
    );
    const answer = await new Promise<string>((resolve, reject) => {
      thread.once("message", resolve);
      thread.once("error", reject);
    });
    await thread.terminate();
    // Compared as text, so a failure shows the thread's error.
    expect(answer).toBe(JSON.stringify({ tables: ["customer"], transform: { customer: { full_name: { sql: "first || ' '" } } } }));
  });
});
