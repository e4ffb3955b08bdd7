import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DEMO_MIGRATIONS_DIR } from "../../src/config/package-root.ts";
import type { Migration } from "../../src/migrations/types.ts";

/** The demo migration files, by ascending index, with their default exports. */
export async function loadDemoMigrations(): Promise<{ file: string; migration: Migration }[]> {
  const files = readdirSync(DEMO_MIGRATIONS_DIR).filter((f) => /^\d{4}_[a-z0-9_]+\.ts$/.test(f)).sort();
  return Promise.all(files.map(async (file) => ({
    file,
    migration: ((await import(pathToFileURL(join(DEMO_MIGRATIONS_DIR, file)).href)) as { default: Migration }).default,
  })));
}
