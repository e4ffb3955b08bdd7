import type { MigrationDb } from "../migrations/types.ts";
import { generateDemoData, type DemoRow } from "./demo-data.ts";
import { DEMO_TABLES } from "./demo-schema.ts";

/** Rows per INSERT statement: a few hundred keeps each statement small on every database. */
const ROWS_PER_INSERT = 250;

/** A demo value as a standard SQL literal (the demo data are plain strings and finite numbers). */
function literal(value: string | number): string {
  return typeof value === "number" ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/**
 * True when any demo table already exists, so the demo was seeded before (or the database holds real
 * data): a query on it succeeds. Portable SQL only, so seeding knows nothing of dialects.
 */
export async function isDemoSeeded(db: MigrationDb): Promise<boolean> {
  for (const table of DEMO_TABLES) {
    try {
      await db.query(`SELECT 1 FROM "${table.name}" WHERE 1 = 0`);
      return true;
    } catch {
      // No such table.
    }
  }
  return false;
}

/** Inserts rows in multi-row INSERTs of literal values. */
async function insertAll(db: MigrationDb, table: string, columns: readonly string[], rows: readonly DemoRow[]): Promise<void> {
  const names = columns.map((c) => `"${c}"`).join(", ");
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const values = rows.slice(start, start + ROWS_PER_INSERT).map((row) => `(${row.map(literal).join(", ")})`);
    await db.exec(`INSERT INTO "${table}" (${names}) VALUES ${values.join(", ")}`);
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
