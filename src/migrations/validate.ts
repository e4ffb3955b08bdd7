import { MigrationFileError } from "./migration-file-error.ts";
import type { Migration } from "./types.ts";

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIX = /^(sqlite_|_migration_|pg_)/i;
const FUNCTION_MEMBERS = ["checkPrerequisites", "dataDefinition", "dataManipulation", "cleanup"] as const;

/** Checks a migration module's default export (CONTRACT §7); throws MigrationFileError naming `file`. */
export function validateMigration(value: unknown, file: string): Migration {
  const fail = (what: string): never => {
    throw new MigrationFileError(`Migration file "${file}" is invalid: ${what}`);
  };
  if (value === undefined) fail("it has no default export");
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail("its default export must be a migration object");
  }
  const migration = value as Record<string, unknown>;
  const tables = migration.tables;
  if (!Array.isArray(tables) || tables.length === 0) fail("`tables` must be a non-empty array of table names");
  for (const table of tables as unknown[]) {
    if (typeof table !== "string" || table.length === 0) fail("`tables` must contain only non-empty strings");
    const name = table as string;
    if (!TABLE_NAME.test(name)) fail(`table name "${name}" in \`tables\` is not a plain identifier`);
    if (RESERVED_PREFIX.test(name)) fail(`table name "${name}" in \`tables\` uses a reserved prefix`);
  }
  if (new Set(tables as string[]).size !== (tables as string[]).length) fail("`tables` lists a table twice");
  for (const member of FUNCTION_MEMBERS) {
    if (migration[member] !== undefined && typeof migration[member] !== "function") {
      fail(`\`${member}\` must be a function`);
    }
  }
  if (migration.writes !== undefined && migration.writes !== "capture" && migration.writes !== "protect") {
    fail('`writes` must be "capture" or "protect"');
  }
  validateTransforms(migration.transform, tables as string[], fail);
  return migration as unknown as Migration;
}

function validateTransforms(transform: unknown, tables: string[], fail: (what: string) => never): void {
  if (transform === undefined) return;
  if (transform === null || typeof transform !== "object" || Array.isArray(transform)) {
    fail("`transform` must be an object mapping table names to functions");
  }
  for (const [table, fn] of Object.entries(transform as Record<string, unknown>)) {
    if (!tables.includes(table)) fail(`\`transform\` has a key "${table}" that is not in \`tables\``);
    if (typeof fn !== "function") fail(`\`transform.${table}\` must be a function`);
  }
}
