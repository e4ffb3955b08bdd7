import type { Connection } from "./connection.ts";
import { schemaHasTable } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { readShape } from "./table-shape.ts";

/** The stored CREATE statements of a table and its explicit indexes (autoindexes have no SQL). */
export function tableDefinition(db: Connection, schema: string, table: string): { table: string; indexes: string[] } {
  const rows = db
    .prepare(`SELECT type, sql FROM ${schema}.sqlite_schema WHERE tbl_name = ? AND type IN ('table', 'index') AND sql IS NOT NULL`)
    .all(table) as { type: string; sql: string }[];
  const create = rows.find((r) => r.type === "table");
  if (create === undefined) throw new Error(`Table "${table}" does not exist in ${schema}`);
  return { table: create.sql, indexes: rows.filter((r) => r.type === "index").map((r) => r.sql) };
}

/**
 * Re-creates `from.table` in main from its stored SQL (SQLite stores it without a schema, so it lands
 * in main), copies the rows with one INSERT … SELECT, then creates its indexes. Returns the rows copied.
 */
export function copyTableIntoMain(db: Connection, from: string, table: string): number {
  createEmptyTableInMain(db, from, table);
  const shape = readShape(db, "main", table);
  // A rowid that is not a column keeps its value too: captured changes are replayed by it.
  const keepRowid = shape.byRowid && shape.rowidAlias === null;
  const columns = [...(keepRowid ? ["rowid"] : []), ...shape.writableColumns.map(quoteIdent)].join(", ");
  const name = quoteIdent(table);
  const copied = db.prepare(`INSERT INTO main.${name} (${columns}) SELECT ${columns} FROM ${from}.${name}`).run().changes;
  completeTableInMain(db, from, table);
  return copied;
}

/** Re-creates `from.table` in main from its stored SQL, without rows or explicit indexes (its key is part of the table). */
export function createEmptyTableInMain(db: Connection, from: string, table: string): void {
  db.exec(tableDefinition(db, from, table).table);
}

/** Creates the explicit indexes of `from.table` on the filled copy in main and carries its AUTOINCREMENT counter over. */
export function completeTableInMain(db: Connection, from: string, table: string): void {
  for (const index of tableDefinition(db, from, table).indexes) db.exec(index);
  copySequence(db, from, table);
}

/** Carries the AUTOINCREMENT counter over, so ids of deleted rows are not reused after the copy. */
export function copySequence(db: Connection, from: string, table: string): void {
  if (!schemaHasTable(db, from, "sqlite_sequence") || !schemaHasTable(db, "main", "sqlite_sequence")) return;
  const row = db.prepare(`SELECT seq FROM ${from}.sqlite_sequence WHERE name = ?`).get(table) as { seq: number } | undefined;
  if (row === undefined) return;
  const updated = db.prepare("UPDATE main.sqlite_sequence SET seq = max(seq, ?) WHERE name = ?").run(row.seq, table).changes;
  if (updated === 0) db.prepare("INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)").run(table, row.seq);
}
