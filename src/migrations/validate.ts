import { MigrationFileError } from "./migration-file-error.ts";
import type { Migration } from "./types.ts";
import { isColumnExpressions } from "./sql-expression.ts";
import { validateAlters } from "./validate-alters.ts";

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
  // Empty only when `alter` says all the migration does (in place, without copies).
  if (!Array.isArray(tables) || (tables.length === 0 && migration.alter === undefined)) fail("`tables` must be a non-empty array of table names");
  for (const table of tables as unknown[]) checkTableName(table, "`tables`", fail);
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
  validateAlters(migration.alter, fail);
  return migration as unknown as Migration;
}

function checkTableName(table: unknown, where: string, fail: (what: string) => never): void {
  if (typeof table !== "string" || table.length === 0) fail(`${where} must contain only non-empty strings`);
  const name = table as string;
  if (!TABLE_NAME.test(name)) fail(`table name "${name}" in ${where} is not a plain identifier`);
  if (RESERVED_PREFIX.test(name)) fail(`table name "${name}" in ${where} uses a reserved prefix`);
}

function validateTransforms(transform: unknown, tables: string[], fail: (what: string) => never): void {
  if (transform === undefined) return;
  if (transform === null || typeof transform !== "object" || Array.isArray(transform)) {
    fail("`transform` must be an object mapping table names to functions");
  }
  for (const [table, value] of Object.entries(transform as Record<string, unknown>)) {
    if (!tables.includes(table)) fail(`\`transform\` has a key "${table}" that is not in \`tables\``);
    if (typeof value === "function") continue;
    if (!isColumnExpressions(value) || Object.keys(value).length === 0) {
      fail(`\`transform.${table}\` must be a function or an object of SQL expressions by column (e.g. { full_name: sql\`first_name || ' ' || last_name\` })`);
    }
    for (const [column, expression] of Object.entries(value as Record<string, unknown>)) {
      const text = (expression as { sql?: unknown } | null)?.sql;
      if (typeof text !== "string" || text.trim().length === 0) fail(`\`transform.${table}.${column}\` must be an SQL expression: sql\`…\` or { sql: "…" }`);
    }
  }
}
