import type { LoadedMigration } from "../migrations/types.ts";

/**
 * The passes that move each table's rows in one run, as the indexes of the migrations that make them:
 * every migration that transforms the table (its copy ahead of a transform is preparation, not a pass;
 * a streamed copy is its first transform), else the first migration that lists it (its copy, or nothing
 * for a table that SQL creates and fills). Every listed table has at least one pass.
 */
export function progressPasses(migrations: readonly LoadedMigration[]): Map<string, number[]> {
  const transforms = (table: string) => migrations.filter(({ migration }) => table in (migration.transform ?? {})).map((m) => m.index);
  const passes = new Map<string, number[]>();
  for (const { index, migration } of migrations) {
    for (const table of migration.tables) {
      if (passes.has(table)) continue;
      const transformed = transforms(table);
      passes.set(table, transformed.length > 0 ? transformed : [index]);
    }
  }
  return passes;
}
