import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchDatabase, BenchStore } from "./bench-database.ts";
import { onCleanup } from "./cleanup.ts";
import { EPOCH_SECONDS, TABLE, type SpotRow } from "./items-data.ts";
import { withFile } from "./sqlite-file.ts";
import { timeSqliteReference } from "./sqlite-references.ts";
import { columnsOf, OWNER_ROWS, SECONDARY_INDEXES, tablesOf, UNRELATED_TABLE, WIDE_BODY_CHARS, type TableShape } from "./table-shapes.ts";

const EXTRA_COLUMNS: Partial<Record<TableShape, string>> = {
  indexed: ", owner_id INTEGER NOT NULL REFERENCES owners (id)",
  wide: ", body TEXT NOT NULL, doc JSON NOT NULL",
};
const EXTRA_VALUES: Partial<Record<TableShape, string>> = {
  indexed: `, i % ${OWNER_ROWS} + 1`,
  // A text of WIDE_BODY_CHARS characters, and a json document written as JSON.stringify writes it.
  wide: `, substr('row ' || i || ' ' || hex(zeroblob(${WIDE_BODY_CHARS / 2})), 1, ${WIDE_BODY_CHARS}), '{"id":' || i || ',"tags":["a","b"],"note":"item-' || i || '"}'`,
};

const create = (shape: TableShape, table: string) =>
  `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, amount REAL, created_at TEXT, active INTEGER${EXTRA_COLUMNS[shape] ?? ""})`;

const generate = (shape: TableShape, table: string) => `
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO ${table} (${columnsOf(shape).join(", ")})
SELECT i, 'item-' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || '@example.com' END,
       (i % 100000) / 100.0, strftime('%Y-%m-%dT%H:%M:%SZ', ${EPOCH_SECONDS} + i, 'unixepoch'), i % 3 <> 0${EXTRA_VALUES[shape] ?? ""}
FROM s`;

/** The indexed shape's owners table, before items (the foreign key is in items' CREATE TABLE on SQLite). */
const OWNERS = [
  `CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
  `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${OWNER_ROWS}) INSERT INTO owners SELECT i, 'owner-' || i FROM s`,
];
/** The indexed shape's indexes, created after the rows (as a restore would). */
const INDEXES = SECONDARY_INDEXES.map(([name, unique, column]) => `CREATE ${unique ? "UNIQUE " : ""}INDEX ${name} ON ${TABLE} (${column})`);

function fingerprintOf(db: Database.Database, shape: TableShape, changed: boolean, table: string): string {
  const columns = db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`).raw().all(table);
  const hash = createHash("sha256");
  let count = 0;
  const rows = db.prepare(`SELECT ${columnsOf(shape).join(", ")} FROM ${table} ORDER BY id`).raw().iterate();
  for (const row of rows as Iterable<unknown[]>) {
    if (changed) {
      row[1] = String(row[1]).toUpperCase();
      row[3] = typeof row[3] === "number" ? row[3] * 2 : row[3];
    }
    hash.update(JSON.stringify(row));
    count++;
  }
  return `${JSON.stringify(columns)} ${count} ${hash.digest("hex")}`;
}

async function createDatabase(prefix: string, rows: number, shape: TableShape): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}sqlite-`));
  const drop = onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "bench.db");
  const tables = tablesOf(shape);
  const settle = async () => withFile(path, (db) => void db.pragma("wal_checkpoint(TRUNCATE)"));
  try {
    withFile(path, (db) => {
      if (shape === "indexed") for (const sql of OWNERS) db.exec(sql);
      db.exec(`CREATE TABLE ${UNRELATED_TABLE} (id INTEGER PRIMARY KEY, at TEXT NOT NULL)`);
      for (const table of tables) {
        db.exec(create(shape, table));
        db.transaction(() => db.prepare(generate(shape, table)).run(rows / tables.length))();
      }
      if (shape === "indexed") for (const sql of INDEXES) db.exec(sql);
    });
    await settle();
  } catch (error) {
    await drop();
    throw error;
  }
  const fingerprint = async (changed: boolean, table?: string) =>
    withFile(path, (db) => (table === undefined ? tables : [table]).map((name) => fingerprintOf(db, shape, changed, name)).join(" | "));
  return {
    store: "sqlite",
    serviceUrl: `sqlite:${path}`,
    scratchDir: dir,
    tables,
    count: async () => withFile(path, (db) => tables.reduce((sum, table) => sum + Number(db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()), 0)),
    fingerprint,
    spotRows: async (ids) =>
      withFile(path, (db) => {
        const sql = `SELECT id, name, amount FROM ${tables[0]} WHERE id IN (${ids.map(() => "?").join(", ")})`;
        return (db.prepare(sql).all(...ids) as Record<string, unknown>[]).map(
          (row): SpotRow => ({ id: Number(row.id), name: String(row.name), amount: Number(row.amount) }),
        );
      }),
    timeReference: (kind) => timeSqliteReference(kind, { path, rows, fingerprint }),
    settle,
    drop,
  };
}

/** SQLite files in fresh temporary directories `<prefix>sqlite-…`, filled through better-sqlite3 in one transaction. */
export function sqliteStore(prefix: string): BenchStore {
  return {
    name: "sqlite",
    create: (rows, shape = "plain") => createDatabase(prefix, rows, shape),
    version: async () => {
      const db = new Database(":memory:");
      try {
        return `SQLite ${String(db.prepare("SELECT sqlite_version()").pluck().get())}`;
      } finally {
        db.close();
      }
    },
  };
}
