import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchDatabase, BenchStore } from "./bench-database.ts";
import { onCleanup } from "./cleanup.ts";
import { EPOCH_SECONDS, TABLE, type SpotRow } from "./items-data.ts";
import { now } from "./timing.ts";

/** The `CREATE TABLE` of the bench table on SQLite, under `name`. */
const createTable = (name: string) =>
  `CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, amount REAL, created_at TEXT, active INTEGER)`;

const GENERATE = `
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO ${TABLE} (id, name, email, amount, created_at, active)
SELECT i, 'item-' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || i || '@example.com' END,
       (i % 100000) / 100.0, strftime('%Y-%m-%dT%H:%M:%SZ', ${EPOCH_SECONDS} + i, 'unixepoch'), i % 3 <> 0
FROM s`;

/** Opens the file as the service does (WAL, busy timeout), runs `work`, closes it. */
function withFile<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.pragma("busy_timeout = 10000");
    db.pragma("journal_mode = WAL");
    return work(db);
  } finally {
    db.close();
  }
}

function fingerprintOf(db: Database.Database, changed: boolean): string {
  const columns = db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info('${TABLE}') ORDER BY cid`).raw().all();
  const hash = createHash("sha256");
  let count = 0;
  const rows = db.prepare(`SELECT id, name, email, amount, created_at, active FROM ${TABLE} ORDER BY id`).raw().iterate();
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

async function createDatabase(rows: number): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "bench-sqlite-"));
  const drop = onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "bench.db");
  try {
    withFile(path, (db) => {
      db.exec(createTable(TABLE));
      db.transaction(() => db.prepare(GENERATE).run(rows))();
      db.pragma("wal_checkpoint(TRUNCATE)");
    });
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    store: "sqlite",
    serviceUrl: `sqlite:${path}`,
    scratchDir: dir,
    count: async () => withFile(path, (db) => Number(db.prepare(`SELECT COUNT(*) FROM ${TABLE}`).pluck().get())),
    fingerprint: async (changed) => withFile(path, (db) => fingerprintOf(db, changed)),
    spotRows: async (ids) =>
      withFile(path, (db) => {
        const sql = `SELECT id, name, amount FROM ${TABLE} WHERE id IN (${ids.map(() => "?").join(", ")})`;
        return (db.prepare(sql).all(...ids) as Record<string, unknown>[]).map(
          (row): SpotRow => ({ id: Number(row.id), name: String(row.name), amount: Number(row.amount) }),
        );
      }),
    timeNativeCopy: async () =>
      withFile(path, (db) => {
        db.exec(createTable(`${TABLE}_copy`));
        const started = now();
        const { changes } = db.prepare(`INSERT INTO ${TABLE}_copy SELECT * FROM ${TABLE}`).run();
        const ms = now() - started;
        if (changes !== rows) throw new Error(`INSERT INTO ${TABLE}_copy copied ${changes} rows, expected ${rows}`);
        db.exec(`DROP TABLE ${TABLE}_copy`);
        db.pragma("wal_checkpoint(TRUNCATE)");
        return ms;
      }),
    drop,
  };
}

/** SQLite files in fresh temporary directories, filled through better-sqlite3 in one transaction. */
export function sqliteStore(): BenchStore {
  return {
    name: "sqlite",
    create: createDatabase,
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
