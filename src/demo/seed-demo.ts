import type { MigrationDb } from "../migrations/types.ts";
import { generateDemoData, type DemoRow } from "./demo-data.ts";
import { DEMO_TABLES } from "./demo-schema.ts";

/** Most bound parameters per INSERT: below SQLite's old 999 limit; PostgreSQL allows 65535, and fewer round trips matter there. */
const MAX_PARAMS = { sqlite: 900, postgres: 8000 } as const;

/** The SQL that finds a demo table by name, per dialect (one `?` / `$1` parameter). */
function tableExistsSql(db: MigrationDb): string {
  return db.dialect === "sqlite"
    ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`
    : `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`;
}

/** True when any demo table already exists, so the demo was seeded before (or the database holds real data). */
export async function isDemoSeeded(db: MigrationDb): Promise<boolean> {
  for (const table of DEMO_TABLES) {
    if ((await db.query(tableExistsSql(db), [table.name])).length > 0) return true;
  }
  return false;
}

/** A multi-row INSERT for `rows` rows with the dialect's placeholders. */
function insertSql(db: MigrationDb, table: string, columns: readonly string[], rows: number): string {
  let n = 0;
  const tuple = () => `(${columns.map(() => (db.dialect === "sqlite" ? "?" : `$${++n}`)).join(", ")})`;
  const values = Array.from({ length: rows }, tuple).join(", ");
  return `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values}`;
}

/** Inserts rows in batches of as many rows as fit in the dialect's MAX_PARAMS parameters. */
async function insertAll(db: MigrationDb, table: string, columns: readonly string[], rows: readonly DemoRow[]): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS[db.dialect] / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement);
    await db.query(insertSql(db, table, columns, batch.length), batch.flat());
  }
}

/**
 * Creates and fills the demo shop tables (a few thousand rows, deterministic) in one transaction, on
 * SQLite or PostgreSQL. Returns false, changing nothing, when a demo table already exists.
 * `db` must be a single session (one connection), since the transaction spans several calls.
 */
export async function seedDemo(db: MigrationDb): Promise<boolean> {
  if (await isDemoSeeded(db)) return false;
  const data = generateDemoData();
  await db.exec("BEGIN");
  try {
    for (const table of DEMO_TABLES) {
      for (const statement of table.ddl) await db.exec(statement);
      await insertAll(db, table.name, table.columns, data[table.name as keyof typeof data]);
    }
    await db.exec("COMMIT");
  } catch (error) {
    await db.exec("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return true;
}
