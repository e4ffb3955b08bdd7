import type { RunCommand } from "../../core/commands.ts";
import type { TableProgress } from "../../core/results.ts";
import type { MigrationState } from "../../core/states.ts";
import type { CommandRecord, MigrationRecord, RunControl, StoredMigration } from "../../core/state-store.ts";
import type { Connection } from "./connection.ts";

/** Per-migration state table in the origin database. */
export const STATE_TABLE = "_migration_state";
/** Single-row command table in the origin database. */
export const COMMAND_TABLE = "_migration_command";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
  idx INTEGER PRIMARY KEY CHECK (idx > 0),
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  finalized_at INTEGER,
  rows_moved INTEGER NOT NULL DEFAULT 0,
  lock_window_ms REAL
);
CREATE TABLE IF NOT EXISTS ${COMMAND_TABLE} (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  command TEXT,
  running INTEGER NOT NULL DEFAULT 0 CHECK (running IN (0, 1)),
  owner TEXT,
  verbose INTEGER NOT NULL DEFAULT 0,
  output TEXT NOT NULL DEFAULT '',
  exception TEXT,
  count INTEGER NOT NULL DEFAULT 0,
  migrated INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  ended_at INTEGER,
  heartbeat_at INTEGER,
  progress_cursor INTEGER NOT NULL DEFAULT 0,
  progress_tables TEXT NOT NULL DEFAULT '[]',
  progress_at INTEGER,
  version INTEGER NOT NULL DEFAULT 0,
  paused INTEGER NOT NULL DEFAULT 0,
  max_rows_per_second INTEGER NOT NULL DEFAULT 0,
  rate_base_at INTEGER,
  rate_base_migrated INTEGER,
  cancelled_by TEXT,
  swapping INTEGER NOT NULL DEFAULT 0,
  CHECK (running = 0 OR owner IS NOT NULL)
);
INSERT OR IGNORE INTO ${COMMAND_TABLE} (id) VALUES (1);
`;

/** Columns added after the first release, per table: a database created before has the tables without them. */
const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  [COMMAND_TABLE]: {
    progress_tables: "TEXT NOT NULL DEFAULT '[]'",
    progress_at: "INTEGER",
    version: "INTEGER NOT NULL DEFAULT 0",
    paused: "INTEGER NOT NULL DEFAULT 0",
    max_rows_per_second: "INTEGER NOT NULL DEFAULT 0",
    rate_base_at: "INTEGER",
    rate_base_migrated: "INTEGER",
    cancelled_by: "TEXT",
    swapping: "INTEGER NOT NULL DEFAULT 0",
  },
  [STATE_TABLE]: {
    started_at: "INTEGER",
    finished_at: "INTEGER",
    finalized_at: "INTEGER",
    rows_moved: "INTEGER NOT NULL DEFAULT 0",
    lock_window_ms: "REAL",
  },
};

/** Creates the bookkeeping tables and the command row when missing, and adds the columns of later releases. */
export function createBookkeeping(db: Connection): void {
  db.exec(SCHEMA);
  for (const [table, added] of Object.entries(ADDED_COLUMNS)) {
    const columns = new Set((db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name));
    for (const [name, definition] of Object.entries(added)) {
      if (!columns.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    }
  }
}

interface CommandRow {
  command: string | null;
  running: number;
  owner: string | null;
  verbose: number;
  output: string;
  exception: string | null;
  count: number;
  migrated: number;
  started_at: number | null;
  ended_at: number | null;
  heartbeat_at: number | null;
  progress_cursor: number;
  progress_tables: string;
  progress_at: number | null;
  version: number;
  paused: number;
  max_rows_per_second: number;
  rate_base_at: number | null;
  rate_base_migrated: number | null;
  cancelled_by: string | null;
  swapping: number;
}

/** Reads the command row. */
export function readCommand(db: Connection): CommandRecord {
  const row = db.prepare(`SELECT * FROM ${COMMAND_TABLE} WHERE id = 1`).get() as CommandRow;
  return {
    command: row.command as RunCommand | null,
    running: row.running === 1,
    owner: row.owner,
    verbose: row.verbose === 1,
    output: row.output,
    exception: row.exception,
    count: row.count,
    migrated: row.migrated,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    heartbeatAt: row.heartbeat_at,
    progressCursor: row.progress_cursor,
    tables: JSON.parse(row.progress_tables) as TableProgress[],
    progressAt: row.progress_at,
    version: row.version,
    paused: row.paused === 1,
    maxRowsPerSecond: row.max_rows_per_second,
    rateBase: row.rate_base_at === null ? null : { at: row.rate_base_at, migrated: row.rate_base_migrated ?? 0 },
    cancelledBy: row.cancelled_by,
    swapping: row.swapping === 1,
  };
}

/** The throttle and cancel request of the command `owner` runs (one primary-key read), or null when it no longer runs it. */
export function readThrottleRow(db: Connection, owner: string): RunControl | null {
  const sql = `SELECT paused, max_rows_per_second, cancelled_by FROM ${COMMAND_TABLE} WHERE id = 1 AND running = 1 AND owner = ?`;
  const row = db.prepare(sql).get(owner) as { paused: number; max_rows_per_second: number; cancelled_by: string | null } | undefined;
  return row === undefined ? null : { paused: row.paused === 1, maxRowsPerSecond: row.max_rows_per_second, cancelledBy: row.cancelled_by };
}

/** Reads every migration record by ascending index. */
export function readMigrations(db: Connection): StoredMigration[] {
  const columns = "idx, name, checksum, state, started_at, finished_at, finalized_at, rows_moved, lock_window_ms";
  const rows = db.prepare(`SELECT ${columns} FROM ${STATE_TABLE} ORDER BY idx`).all() as {
    idx: number;
    name: string;
    checksum: string;
    state: string;
    started_at: number | null;
    finished_at: number | null;
    finalized_at: number | null;
    rows_moved: number;
    lock_window_ms: number | null;
  }[];
  return rows.map((r) => ({
    index: r.idx,
    name: r.name,
    checksum: r.checksum,
    state: r.state as MigrationState,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    finalizedAt: r.finalized_at,
    rowsMoved: r.rows_moved,
    lockWindowMs: r.lock_window_ms,
  }));
}

/** Inserts or replaces migration records; a fact a record leaves out (undefined) keeps its stored value. */
export function upsertMigrations(db: Connection, records: readonly MigrationRecord[]): void {
  const kept = (column: string) => `${column} = CASE WHEN @set_${column} THEN excluded.${column} ELSE ${column} END`;
  const stmt = db.prepare(
    `INSERT INTO ${STATE_TABLE} (idx, name, checksum, state, started_at, finished_at, finalized_at, rows_moved, lock_window_ms)
     VALUES (@idx, @name, @checksum, @state, @started_at, @finished_at, @finalized_at, coalesce(@rows_moved, 0), @lock_window_ms)
     ON CONFLICT (idx) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, state = excluded.state,
       ${kept("started_at")}, ${kept("finished_at")}, ${kept("finalized_at")}, ${kept("rows_moved")}, ${kept("lock_window_ms")}`,
  );
  for (const r of records) {
    stmt.run({
      idx: r.index, name: r.name, checksum: r.checksum, state: r.state,
      started_at: r.startedAt ?? null, set_started_at: r.startedAt === undefined ? 0 : 1,
      finished_at: r.finishedAt ?? null, set_finished_at: r.finishedAt === undefined ? 0 : 1,
      finalized_at: r.finalizedAt ?? null, set_finalized_at: r.finalizedAt === undefined ? 0 : 1,
      rows_moved: r.rowsMoved ?? null, set_rows_moved: r.rowsMoved === undefined ? 0 : 1,
      lock_window_ms: r.lockWindowMs ?? null, set_lock_window_ms: r.lockWindowMs === undefined ? 0 : 1,
    });
  }
}

/** True when `owner` holds the run lock right now (`schema`: where the bookkeeping lives on this connection). */
export function holdsRunLock(db: Connection, owner: string, schema = "main"): boolean {
  return db.prepare(`SELECT 1 FROM ${schema}.${COMMAND_TABLE} WHERE id = 1 AND running = 1 AND owner = ?`).get(owner) !== undefined;
}

/** Appends text to the running command's output, conditioned on `owner`; false when it does not hold the lock. */
export function appendOutputRow(db: Connection, owner: string, text: string): boolean {
  const sql = `UPDATE ${COMMAND_TABLE} SET output = output || ?, progress_at = ? WHERE id = 1 AND running = 1 AND owner = ?`;
  return db.prepare(sql).run(text, Date.now(), owner).changes === 1;
}
