import { type AlterStep, keepsColumns } from "./alter-steps.ts";
import { columnExpressionsOf, type Migration } from "./types.ts";

/** How migrate brings one table of a migration to its new shape, as `plan` shows it. */
export type TableRoute = "copy" | "transform" | "sql" | "create" | "in_place";

/** The tables a migration touches, in the order migrate goes through them: its `tables`, then those only its `alter` names. */
export function touchedTables(migration: Migration): string[] {
  return [...migration.tables, ...Object.keys(migration.alter ?? {}).filter((table) => !migration.tables.includes(table))];
}

/**
 * Whether an origin table's copy and transform are one pass (the `stream` route): it has a transform, and
 * without dataDefinition its rows keep their shape or gain only declared columns (`steps`, deferred ones
 * included), so CONTRACT §7 allows the faster route with the same result.
 */
export function streamsCopy(migration: Migration, table: string, steps: readonly AlterStep[]): boolean {
  return table in (migration.transform ?? {}) && migration.dataDefinition === undefined && keepsColumns(steps);
}

/**
 * The route of `table` in `migration`: declared steps on the original when only `alter` names it; else a
 * shadow copy whose rows pass through SQL expressions or a JavaScript transform, as they are (`exists`: the
 * table exists before the migration runs), or a table the migration creates.
 */
export function tableRoute(migration: Migration, table: string, exists: boolean): TableRoute {
  if (!migration.tables.includes(table)) return "in_place";
  if (columnExpressionsOf(migration, table) !== undefined) return "sql";
  if (table in (migration.transform ?? {})) return "transform";
  return exists ? "copy" : "create";
}
