import { sqlLiteral } from "./sql-expression.ts";

/** A value a new column starts with: a constant (the database stores it once, without rewriting the table). */
export type ColumnDefault = string | number | boolean | null;

/** Adds a column; nullable, or NOT NULL with a constant default. */
export interface AddColumn {
  /** Plain object form, so a migration file needs no import. */
  readonly addColumn: { readonly name: string; readonly type: string; readonly default?: ColumnDefault; readonly notNull?: boolean };
}
/** Drops a column. */
export interface DropColumn {
  /** The column's name. */
  readonly dropColumn: string;
}
/** Renames a column. */
export interface RenameColumn {
  /** From and to. */
  readonly renameColumn: { readonly from: string; readonly to: string };
}
/** Creates an index (PostgreSQL: CONCURRENTLY, before finalize locks anything). */
export interface CreateIndex {
  /** Index name, its columns in order, and whether it is unique. */
  readonly createIndex: { readonly name: string; readonly columns: readonly string[]; readonly unique?: boolean };
}
/** Drops an index. */
export interface DropIndex {
  /** The index's name. */
  readonly dropIndex: string;
}

/**
 * A change to a table the database makes in place, without rewriting its rows (a declared form, never
 * guessed from SQL text): a table changed only by such steps needs no shadow copy, and they are applied to
 * the original table at finalize.
 */
export type AlterStep = AddColumn | DropColumn | RenameColumn | CreateIndex | DropIndex;

/** Adds column `name` of SQL `type`, nullable, or with a constant default (`notNull` needs a non-null default). */
export function addColumn(name: string, type: string, options: { default?: ColumnDefault; notNull?: boolean } = {}): AddColumn {
  return { addColumn: { name, type, ...options } };
}
/** Drops column `name`. */
export function dropColumn(name: string): DropColumn {
  return { dropColumn: name };
}
/** Renames column `from` to `to`. */
export function renameColumn(from: string, to: string): RenameColumn {
  return { renameColumn: { from, to } };
}
/** Creates index `name` on `columns`. */
export function createIndex(name: string, columns: readonly string[], options: { unique?: boolean } = {}): CreateIndex {
  return { createIndex: { name, columns, ...options } };
}
/** Drops index `name`. */
export function dropIndex(name: string): DropIndex {
  return { dropIndex: name };
}

/** Whether the steps leave every existing column in place (only add columns and indexes): rows of the original fit the result as they are. */
export function keepsColumns(steps: readonly AlterStep[]): boolean {
  return steps.every((step) => !("dropColumn" in step) && !("renameColumn" in step));
}

/** The one-line description of a step, for output and errors: `add column "nickname" text`. */
export function describeStep(step: AlterStep): string {
  if ("addColumn" in step) {
    const { name, type, default: value, notNull } = step.addColumn;
    return `add column "${name}" ${type}${notNull ? " NOT NULL" : ""}${value !== undefined ? ` DEFAULT ${literalOf(value)}` : ""}`;
  }
  if ("dropColumn" in step) return `drop column "${step.dropColumn}"`;
  if ("renameColumn" in step) return `rename column "${step.renameColumn.from}" to "${step.renameColumn.to}"`;
  if ("createIndex" in step) {
    const { name, columns, unique } = step.createIndex;
    return `create ${unique ? "unique " : ""}index "${name}" on (${columns.map((c) => `"${c}"`).join(", ")})`;
  }
  return `drop index "${step.dropIndex}"`;
}

/** A column default as SQL: booleans as TRUE/FALSE (both stores read them), the rest as sqlLiteral does. */
export function literalOf(value: ColumnDefault): string {
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  return sqlLiteral(value);
}

