import Database from "better-sqlite3";
import type { OriginReader } from "../store.ts";
import { BUSY_TIMEOUT_MS } from "./connection.ts";
import { sqliteMigrationDb } from "./migration-db.ts";
import { schemaHasTable } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";

/** Runs `fn` on a read-only connection to the database file, inside one transaction that is rolled back. */
export async function readOriginAt<T>(path: string, fn: (reader: OriginReader) => Promise<T>): Promise<T> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("BEGIN");
    const hasTable = async (table: string) => schemaHasTable(db, "main", table);
    return await fn({
      db: sqliteMigrationDb(db, { verbose: false, log: () => {} }),
      hasTable,
      countRows: async (table) => ((await hasTable(table)) ? (db.prepare(`SELECT count(*) AS n FROM main.${quoteIdent(table)}`).get() as { n: number }).n : 0),
    });
  } finally {
    if (db.inTransaction) db.exec("ROLLBACK");
    db.close();
  }
}
