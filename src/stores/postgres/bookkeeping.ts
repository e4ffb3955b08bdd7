import type { RunCommand } from "../../core/commands.ts";
import type { TableProgress } from "../../core/results.ts";
import type { CommandRecord, GuardedTable, MigrationRecord, RunControl, Snapshot, StoredMigration } from "../../core/state-store.ts";
import type { PoolClient } from "./pg-pool.ts";
import { CAPTURE_NAME, CHANGES_TABLE, PROTECT_NAME, REPLAYED_TABLE } from "./guard-names.ts";
import { qualify, quoteLiteral, toNumber, toNumberOrNull } from "./sql.ts";

/** Per-migration state table, in the origin schema. */
export const STATE_TABLE = "_migration_state";
/** Single-row command table, in the origin schema. */
export const COMMAND_TABLE = "_migration_command";

/** The qualified bookkeeping table names of one origin schema. */
export interface Bookkeeping {
  /** The origin schema (the connection's `current_schema()`). */
  schema: string;
  /** `schema._migration_state`. */
  state: string;
  /** `schema._migration_command`. */
  command: string;
  /** `schema._migration_changes`, the change log of captured tables. */
  changes: string;
  /** `schema._migration_replayed`, changes replayed per captured table. */
  replayed: string;
}

/** The bookkeeping names in `schema`. */
export function bookkeepingIn(schema: string): Bookkeeping {
  return {
    schema,
    state: qualify(schema, STATE_TABLE),
    command: qualify(schema, COMMAND_TABLE),
    changes: qualify(schema, CHANGES_TABLE),
    replayed: qualify(schema, REPLAYED_TABLE),
  };
}

/** Creates the bookkeeping tables and the command row when missing (call under a lock: DDL races across replicas). */
export async function createBookkeeping(client: PoolClient, names: Bookkeeping): Promise<void> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${names.state} (
      idx integer PRIMARY KEY CHECK (idx > 0),
      name text NOT NULL,
      checksum text NOT NULL,
      state text NOT NULL,
      started_at bigint,
      finished_at bigint,
      finalized_at bigint,
      rows_moved bigint NOT NULL DEFAULT 0,
      lock_window_ms double precision
    );
    CREATE TABLE IF NOT EXISTS ${names.command} (
      id integer PRIMARY KEY CHECK (id = 1),
      command text,
      running boolean NOT NULL DEFAULT false,
      owner text,
      "verbose" boolean NOT NULL DEFAULT false,
      output text NOT NULL DEFAULT '',
      exception text,
      count bigint NOT NULL DEFAULT 0,
      migrated bigint NOT NULL DEFAULT 0,
      started_at bigint,
      ended_at bigint,
      heartbeat_at bigint,
      progress_cursor integer NOT NULL DEFAULT 0,
      progress_tables jsonb NOT NULL DEFAULT '[]',
      progress_at bigint,
      version bigint NOT NULL DEFAULT 0,
      paused boolean NOT NULL DEFAULT false,
      max_rows_per_second bigint NOT NULL DEFAULT 0,
      rate_base_at bigint,
      rate_base_migrated bigint,
      cancelled_by text,
      swapping boolean NOT NULL DEFAULT false,
      CHECK (NOT running OR owner IS NOT NULL)
    );
  `);
  await addMissingColumns(client, names);
  await client.query(`INSERT INTO ${names.command} (id) VALUES (1) ON CONFLICT (id) DO NOTHING`);
}

/** Columns added after the first release, per table: a database created before has the tables without them. */
const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  [COMMAND_TABLE]: {
    progress_tables: "jsonb NOT NULL DEFAULT '[]'",
    progress_at: "bigint",
    version: "bigint NOT NULL DEFAULT 0",
    paused: "boolean NOT NULL DEFAULT false",
    max_rows_per_second: "bigint NOT NULL DEFAULT 0",
    rate_base_at: "bigint",
    rate_base_migrated: "bigint",
    cancelled_by: "text",
    swapping: "boolean NOT NULL DEFAULT false",
  },
  [STATE_TABLE]: {
    started_at: "bigint",
    finished_at: "bigint",
    finalized_at: "bigint",
    rows_moved: "bigint NOT NULL DEFAULT 0",
    lock_window_ms: "double precision",
  },
};

/**
 * Adds the columns a table lacks. Only those: ALTER TABLE takes its lock before it looks, even with IF NOT
 * EXISTS, and would queue every reader of the table behind a running command's row locks (a store opened
 * while a command runs: a replica starting, the survey of a plan).
 */
async function addMissingColumns(client: PoolClient, names: Bookkeeping): Promise<void> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name IN ($2, $3)`,
    [names.schema, COMMAND_TABLE, STATE_TABLE],
  );
  const present = new Set(rows.map((r) => `${r.table_name}.${r.column_name}`));
  for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
    for (const [column, definition] of Object.entries(columns)) {
      if (!present.has(`${table}.${column}`)) await client.query(`ALTER TABLE ${qualify(names.schema, table)} ADD COLUMN ${column} ${definition}`);
    }
  }
}

/** Both tables in ONE statement, so the migrations and the command row come from the same MVCC snapshot. */
export async function readSnapshot(client: PoolClient, names: Bookkeeping): Promise<Snapshot> {
  const { rows } = await client.query(
    `SELECT c.*, (SELECT coalesce(json_agg(json_build_object('index', s.idx, 'name', s.name, 'checksum', s.checksum, 'state', s.state,
                    'startedAt', s.started_at, 'finishedAt', s.finished_at, 'finalizedAt', s.finalized_at, 'rowsMoved', s.rows_moved,
                    'lockWindowMs', s.lock_window_ms)
                  ORDER BY s.idx), '[]'::json) FROM ${names.state} s) AS migrations,
       (SELECT coalesce(json_agg(json_build_object('table', g.relname, 'mode', g.mode,
                  'backlog', (SELECT count(*) FROM ${names.changes} ch WHERE ch.tbl = g.relname),
                  'replayed', coalesce((SELECT r.replayed FROM ${names.replayed} r WHERE r.tbl = g.relname), 0)) ORDER BY g.relname), '[]'::json)
        FROM (SELECT tc.relname, CASE WHEN bool_or(t.tgname = ${quoteLiteral(PROTECT_NAME)}) THEN 'protected' ELSE 'captured' END AS mode
              FROM pg_trigger t JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
              WHERE tn.nspname = ${quoteLiteral(names.schema)} AND t.tgname IN (${quoteLiteral(PROTECT_NAME)}, ${quoteLiteral(CAPTURE_NAME)})
                AND t.tgenabled <> 'D'
              GROUP BY tc.relname) g) AS guarded
     FROM ${names.command} c WHERE c.id = 1`,
  );
  const row = rows[0] as Record<string, unknown>;
  const guarded = (row.guarded as GuardedTable[]).map((g) => ({ ...g, backlog: toNumber(g.backlog), replayed: toNumber(g.replayed) }));
  return { migrations: (row.migrations as StoredMigration[]).map(storedMigration), command: commandRecord(row), guarded };
}

/** A record as json_build_object gave it, its bigints as numbers. */
function storedMigration(record: StoredMigration): StoredMigration {
  return {
    ...record,
    startedAt: toNumberOrNull(record.startedAt),
    finishedAt: toNumberOrNull(record.finishedAt),
    finalizedAt: toNumberOrNull(record.finalizedAt),
    rowsMoved: toNumber(record.rowsMoved),
    lockWindowMs: toNumberOrNull(record.lockWindowMs),
  };
}

function commandRecord(row: Record<string, unknown>): CommandRecord {
  return {
    command: row.command as RunCommand | null,
    running: row.running === true,
    owner: row.owner as string | null,
    verbose: row.verbose === true,
    output: row.output as string,
    exception: row.exception as string | null,
    count: toNumber(row.count),
    migrated: toNumber(row.migrated),
    startedAt: toNumberOrNull(row.started_at),
    endedAt: toNumberOrNull(row.ended_at),
    heartbeatAt: toNumberOrNull(row.heartbeat_at),
    progressCursor: toNumber(row.progress_cursor),
    tables: row.progress_tables as TableProgress[],
    progressAt: toNumberOrNull(row.progress_at),
    version: toNumber(row.version),
    paused: row.paused === true,
    maxRowsPerSecond: toNumber(row.max_rows_per_second),
    rateBase: row.rate_base_at === null || row.rate_base_at === undefined ? null : { at: toNumber(row.rate_base_at), migrated: toNumber(row.rate_base_migrated) },
    cancelledBy: row.cancelled_by as string | null,
    swapping: row.swapping === true,
  };
}

/** The throttle and cancel request of the command `owner` runs (one primary-key read), or null when it no longer runs it. */
export async function readThrottleRow(client: PoolClient, names: Bookkeeping, owner: string): Promise<RunControl | null> {
  const { rows } = await client.query<{ paused: boolean; max_rows_per_second: string; cancelled_by: string | null }>(
    `SELECT paused, max_rows_per_second, cancelled_by FROM ${names.command} WHERE id = 1 AND running AND owner = $1`,
    [owner],
  );
  const row = rows[0];
  return row === undefined ? null : { paused: row.paused, maxRowsPerSecond: toNumber(row.max_rows_per_second), cancelledBy: row.cancelled_by };
}

/** Inserts or replaces migration records in one statement; a fact a record leaves out keeps its stored value (JSON drops undefined keys). */
export async function upsertMigrations(client: PoolClient, names: Bookkeeping, records: readonly MigrationRecord[]): Promise<void> {
  if (records.length === 0) return;
  const kept = (key: string, column: string, type = "bigint") => `CASE WHEN r ? '${key}' THEN (r->>'${key}')::${type} ELSE s.${column} END`;
  await client.query(
    `INSERT INTO ${names.state} (idx, name, checksum, state, started_at, finished_at, finalized_at, rows_moved, lock_window_ms)
     SELECT (r->>'index')::integer, r->>'name', r->>'checksum', r->>'state',
            ${kept("startedAt", "started_at")}, ${kept("finishedAt", "finished_at")}, ${kept("finalizedAt", "finalized_at")},
            coalesce(${kept("rowsMoved", "rows_moved")}, 0), ${kept("lockWindowMs", "lock_window_ms", "double precision")}
     FROM jsonb_array_elements($1::jsonb) r LEFT JOIN ${names.state} s ON s.idx = (r->>'index')::integer
     ON CONFLICT (idx) DO UPDATE SET name = excluded.name, checksum = excluded.checksum, state = excluded.state,
       started_at = excluded.started_at, finished_at = excluded.finished_at, finalized_at = excluded.finalized_at, rows_moved = excluded.rows_moved,
       lock_window_ms = excluded.lock_window_ms`,
    [JSON.stringify(records)],
  );
}

/**
 * Locks the command row when `owner` holds the run lock; true then (call inside a transaction). Claims and
 * interrupts lock the row FOR UPDATE, so either mode keeps them out until the caller's transaction ends;
 * `KEY SHARE` (the fence of range writes, protection, shadow clearing) lets the run's own output,
 * progress and heartbeat updates go on meanwhile.
 */
export async function lockOwnedCommand(
  client: PoolClient, names: Bookkeeping, owner: string, mode: "UPDATE" | "KEY SHARE" = "UPDATE",
): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM ${names.command} WHERE id = 1 AND running AND owner = $1 FOR ${mode}`, [owner]);
  return rowCount === 1;
}

/** Appends text to the output of the command `owner` runs; false when it does not hold the lock. */
export async function appendOutputRow(client: PoolClient, names: Bookkeeping, owner: string, text: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${names.command} SET output = output || $1, progress_at = $3 WHERE id = 1 AND running AND owner = $2`,
    [text, owner, Date.now()],
  );
  return rowCount === 1;
}

/** Ends the command `owner` runs: running=false, exception, ended_at, and a new version (a claim decided before fails). */
export async function finishCommandRow(client: PoolClient, names: Bookkeeping, owner: string, exception: string | null): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${names.command} SET running = false, exception = $1, ended_at = $2, version = version + 1 WHERE id = 1 AND running AND owner = $3`,
    [exception, Date.now(), owner],
  );
  return rowCount === 1;
}
