import Database from "better-sqlite3";

/** Opens the file as the service does (WAL, busy timeout). */
export function openFile(path: string, readonly = false): Database.Database {
  const db = new Database(path, { readonly });
  db.pragma("busy_timeout = 10000");
  if (!readonly) db.pragma("journal_mode = WAL");
  return db;
}

/** Opens the file as the service does, runs `work`, closes it. */
export function withFile<T>(path: string, work: (db: Database.Database) => T): T {
  const db = openFile(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** The column names of `table`, in order. */
export function columnNames(db: Database.Database, table: string): string[] {
  return db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(table) as string[];
}

/** Creates `table` with the columns and constraints of `like` (its CREATE TABLE under the new name; no indexes). */
export function createTableLike(db: Database.Database, table: string, like: string): void {
  const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(like) as string | undefined;
  if (sql === undefined) throw new Error(`no table "${like}"`);
  db.exec(sql.replace(/^CREATE TABLE\s+("?)[^\s("]+\1/i, `CREATE TABLE ${table}`));
}
