import { type Connection, inWriteTransaction } from "./connection.ts";
import { quoteIdent } from "./sql.ts";

/** Table in the shadow file that remembers tables a migration dropped (so the origin is not re-copied). */
export const DROPPED_TABLE = "_migration_dropped";

/** User tables of a schema (`main`, `shadow`, …), excluding SQLite internals and our bookkeeping. */
export function userTables(db: Connection, schema: string): string[] {
  const rows = db
    .prepare(
      `SELECT name FROM ${schema}.sqlite_schema WHERE type = 'table'
       AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_migration\\_%' ESCAPE '\\' ORDER BY name`,
    )
    .all() as { name: string }[];
  return rows.map((r) => r.name);
}

/** Whether `schema` has a table named `table`. */
export function schemaHasTable(db: Connection, schema: string, table: string): boolean {
  return db.prepare(`SELECT 1 FROM ${schema}.sqlite_schema WHERE type = 'table' AND name = ?`).get(table) !== undefined;
}

/** Tables marked dropped in the shadow schema `schema`. */
export function droppedTables(db: Connection, schema: string): string[] {
  if (!schemaHasTable(db, schema, DROPPED_TABLE)) return [];
  const rows = db.prepare(`SELECT name FROM ${schema}.${DROPPED_TABLE} ORDER BY name`).all() as { name: string }[];
  return rows.map((r) => r.name);
}

/** Marks `table` dropped in the shadow schema `schema`. */
export function markTableDropped(db: Connection, schema: string, table: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${schema}.${DROPPED_TABLE} (name TEXT PRIMARY KEY)`);
  db.prepare(`INSERT OR IGNORE INTO ${schema}.${DROPPED_TABLE} (name) VALUES (?)`).run(table);
}

/** Drops every table (and with them their indexes) of the shadow schema `schema`, then reclaims the space. */
export function emptyShadowSchema(db: Connection, schema: string): void {
  inWriteTransaction(db, () => {
    const rows = db
      .prepare(`SELECT name FROM ${schema}.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
      .all() as { name: string }[];
    for (const { name } of rows) db.exec(`DROP TABLE IF EXISTS ${schema}.${quoteIdent(name)}`);
  });
  try {
    db.exec(`VACUUM ${schema}`);
  } catch {
    // Reclaiming space is optional; a reader of the shadow file (a stats count) may hold it right now.
  }
}
