import type { AlterStep } from "../migrations/alter-steps.ts";
import { literalOf } from "../migrations/alter-steps.ts";
import type { Dialect } from "../migrations/types.ts";
import type { ColumnExpressions } from "../migrations/sql-expression.ts";

/** Where a step runs: the schema (`"shadow"`, `"main"`, a PostgreSQL schema) and the table. */
export interface AlterTarget {
  /** The store's dialect. */
  dialect: Dialect;
  /** Schema name, unquoted. */
  schema: string;
  /** Table name, unquoted. */
  table: string;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The statement of one declared step on `target`. `concurrently` builds or drops a PostgreSQL index without
 * blocking writes (outside a transaction); SQLite has no such form and ignores it.
 */
export function alterStatement(target: AlterTarget, step: AlterStep, concurrently = false): string {
  const table = `${quote(target.schema)}.${quote(target.table)}`;
  if ("addColumn" in step) {
    const { name, type, default: value, notNull } = step.addColumn;
    return `ALTER TABLE ${table} ADD COLUMN ${quote(name)} ${type}${value !== undefined ? ` DEFAULT ${literalOf(value)}` : ""}${notNull ? " NOT NULL" : ""}`;
  }
  if ("dropColumn" in step) return `ALTER TABLE ${table} DROP COLUMN ${quote(step.dropColumn)}`;
  if ("renameColumn" in step) return `ALTER TABLE ${table} RENAME COLUMN ${quote(step.renameColumn.from)} TO ${quote(step.renameColumn.to)}`;
  const pg = target.dialect === "postgres";
  const how = pg && concurrently ? " CONCURRENTLY" : "";
  if ("createIndex" in step) {
    const { name, columns, unique } = step.createIndex;
    const list = columns.map(quote).join(", ");
    // PostgreSQL puts an index in its table's schema; SQLite names the schema on the index, not the table.
    return pg
      ? `CREATE ${unique ? "UNIQUE " : ""}INDEX${how} ${quote(name)} ON ${table} (${list})`
      : `CREATE ${unique ? "UNIQUE " : ""}INDEX ${quote(target.schema)}.${quote(name)} ON ${quote(target.table)} (${list})`;
  }
  return `DROP INDEX${how} ${quote(target.schema)}.${quote(step.dropIndex)}`;
}

/** Whether the database applies `step` without rewriting the table's rows; SQLite's DROP COLUMN rewrites every row. */
export function changesInPlace(dialect: Dialect, step: AlterStep): boolean {
  return !(dialect === "sqlite" && "dropColumn" in step);
}

/**
 * The select list that fills `columns` of a table from its source row: the expression where one is given,
 * the source's column of the same name, or nothing (the column's default); returns the filled columns with it.
 */
export function expressionSelect(
  columns: readonly string[], sourceColumns: readonly string[], expressions: ColumnExpressions,
): { columns: string[]; select: string[] } {
  const filled = columns.filter((c) => c in expressions || sourceColumns.includes(c));
  return { columns: filled.map(quote), select: filled.map((c) => (c in expressions ? `(${expressions[c]!.sql})` : `t.${quote(c)}`)) };
}

/** `"a" = (expr), …`: the SET list of an SQL-expression transform over a table's own rows. */
export function expressionAssignments(expressions: ColumnExpressions): string {
  return Object.entries(expressions).map(([column, expression]) => `${quote(column)} = (${expression.sql})`).join(", ");
}

/** One declared step of one table, as the finalize swap applies it. */
export interface TableStep {
  /** The table. */
  table: string;
  /** The step. */
  step: AlterStep;
}

/**
 * The steps the finalize swap applies to original tables (those it does not replace nor drop), split into
 * index builds that can run before it locks anything (no column step of the same table precedes them) and
 * the rest, applied under its lock in order.
 */
export function deferredSteps(alters: readonly { table: string; steps: readonly AlterStep[] }[], notOriginal: ReadonlySet<string>): { early: TableStep[]; locked: TableStep[] } {
  const early: TableStep[] = [];
  const locked: TableStep[] = [];
  const reshaped = new Set<string>();
  for (const { table, steps } of alters) {
    if (notOriginal.has(table)) continue;
    for (const step of steps) {
      if ("createIndex" in step && !reshaped.has(table)) early.push({ table, step });
      else locked.push({ table, step });
      if (!("createIndex" in step) && !("dropIndex" in step)) reshaped.add(table);
    }
  }
  return { early, locked };
}
