import type { TableShape } from "../store.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";

interface ColumnInfo {
  name: string;
  pk: number;
  hidden: number;
}

/** SQLite's view of a table's shape: the common shape plus how rows are keyed. */
export interface SqliteShape extends TableShape {
  /** True when rows are keyed by rowid (every table but WITHOUT ROWID ones). */
  byRowid: boolean;
  /** The INTEGER PRIMARY KEY column that aliases rowid, if any. */
  rowidAlias: string | null;
}

/** Reads columns, primary key and row keying of `schema.table`; throws when the table does not exist. */
export function readShape(db: Connection, schema: string, table: string): SqliteShape {
  const info = db.prepare(`PRAGMA ${schema}.table_xinfo(${quoteIdent(table)})`).all() as ColumnInfo[];
  if (info.length === 0) throw new Error(`Table "${table}" does not exist`);
  const visible = info.filter((c) => c.hidden !== 1);
  const keyColumns = info
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const list = db.prepare(`PRAGMA ${schema}.table_list(${quoteIdent(table)})`).get() as { wr: number } | undefined;
  const byRowid = list?.wr !== 1;
  return {
    table,
    columns: visible.map((c) => c.name),
    writableColumns: info.filter((c) => c.hidden === 0).map((c) => c.name),
    keyColumns,
    byRowid,
    rowidAlias: byRowid ? rowidAliasOf(db, schema, table, keyColumns) : null,
  };
}

/** The column that aliases rowid: a single-column primary key declared exactly `INTEGER`. */
function rowidAliasOf(db: Connection, schema: string, table: string, keyColumns: string[]): string | null {
  if (keyColumns.length !== 1) return null;
  const info = db.prepare(`PRAGMA ${schema}.table_info(${quoteIdent(table)})`).all() as { name: string; type: string }[];
  const column = info.find((c) => c.name === keyColumns[0]);
  return column !== undefined && column.type.toUpperCase() === "INTEGER" ? column.name : null;
}
