import { StartupError } from "../core/errors.ts";
import type { MigrationDb } from "../migrations/types.ts";
import { SERVICE_TABLE_PREFIX } from "../stores/store-driver.ts";
import { generateDemoData, type DemoRow } from "./demo-data.ts";
import type { DemoDb } from "./open-demo-db.ts";
import { DEMO_TABLES } from "./demo-schema.ts";

/** Rows per INSERT statement: a few hundred keeps each statement small on every database. */
const ROWS_PER_INSERT = 250;

/** A demo value as a standard SQL literal (the demo data are plain strings and finite numbers). */
function literal(value: string | number): string {
  return typeof value === "number" ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/** Most table names a refusal to seed lists. */
const LISTED_TABLES = 5;

/**
 * True when every table the demo seeds exists, so the demo was seeded before (the demo migrations add
 * tables but drop none): a query on each succeeds. Portable SQL only, so seeding knows nothing of dialects.
 */
export async function isDemoSeeded(db: MigrationDb): Promise<boolean> {
  for (const table of DEMO_TABLES) {
    try {
      await db.query(`SELECT 1 FROM "${table.name}" WHERE 1 = 0`);
    } catch {
      return false;
    }
  }
  return true;
}

/** The refusal to seed the demo into a database that holds tables of someone else's. */
export class ForeignTablesError extends StartupError {
  constructor(readonly tables: readonly string[]) {
    const listed = tables.slice(0, LISTED_TABLES).join(", ") + (tables.length > LISTED_TABLES ? `, … (${tables.length} tables)` : "");
    super(
      `Refusing to seed the demo: the database already has tables that are not the demo's (${listed}). ` +
        "Give --demo an empty database (--database), or serve your own migrations with --migrations DIR.",
    );
  }
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
 * SQLite or PostgreSQL. Returns false, changing nothing, when the demo was seeded before; throws
 * ForeignTablesError, changing nothing, when the database has any other table than the service's own:
 * the demo never writes into someone's database. `db` must be a single session (one connection), since
 * the transaction spans several calls.
 */
export async function seedDemo(db: DemoDb): Promise<boolean> {
  if (await isDemoSeeded(db)) return false;
  const foreign = (await db.tableNames()).filter((name) => !name.startsWith(SERVICE_TABLE_PREFIX));
  if (foreign.length > 0) throw new ForeignTablesError(foreign);
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
