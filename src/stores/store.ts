import type { MigrationRecord, StateStore } from "../core/state-store.ts";
import type { AlterStep } from "../migrations/alter-steps.ts";
import type { ColumnExpressions } from "../migrations/sql-expression.ts";
import type { Dialect, MigrationDb, Row } from "../migrations/types.ts";
import type { SwapChanges } from "./swap-prerequisites.ts";

/** Where a plain table name points for a migration's `db`: its shadow copy, the origin, or nothing. */
export type TableLocation = "shadow" | "origin" | "none";

/** The columns and row key of a shadow table, as the transform write-back needs them. */
export interface TableShape {
  /** The table name. */
  table: string;
  /** Every visible column, in table order (what `SELECT *` returns). */
  columns: string[];
  /** Columns a row may set (generated columns excluded). */
  writableColumns: string[];
  /** Primary key columns in key order; empty when the table has none. */
  keyColumns: string[];
}

/**
 * A key range of a table, in primary key (or rowid) order: the rows after `after` (exclusive; null = from
 * the first row) up to `upTo` (inclusive; null = to the last row). Keys are opaque store values.
 */
export interface KeyRange {
  /** Key of the last row before the range, or null. */
  after: unknown[] | null;
  /** Key of the last row of the range, or null for "to the end". */
  upTo: unknown[] | null;
}

/**
 * How a transformed table's rows reach the shadow: `stream` reads the origin and appends each transformed
 * range to an empty shadow copy (the copy and the transform in one pass); `in-place` reads the shadow copy
 * and replaces each range with its transformed rows.
 */
export type TransformRoute = "stream" | "in-place";

/**
 * Plain, cloneable instructions that let a worker thread open its own connection and move ranges of one
 * table through its transform. Each store extends it with what its connection needs.
 */
export interface RangePlan {
  /** Which store's range mover reads the plan. */
  dialect: Dialect;
  /** The route the rows take. */
  route: TransformRoute;
  /** The shadow table's shape: transform results are checked against it. */
  shape: TableShape;
  /** Average size of a source row as text, in bytes, from a sample of rows (0 for an empty table). */
  rowBytes: number;
  /** The lease of the command: a range write commits only while it still holds the running command. */
  owner: string;
}

/** Maps the rows of one range to their replacements (null = deleted), in order: the transform, on a worker thread. */
export type RowMapper = (rows: Row[]) => Promise<(Row | null)[]>;

/**
 * Plain, cloneable instructions that let a worker thread open its own connection and replay the logged
 * changes of one captured table into its shadow copy. Each store extends it with what its connection needs.
 */
export interface ReplayPlan {
  /** Which store's replayer reads the plan. */
  dialect: Dialect;
  /** The shadow table's shape: transform results are checked against it. */
  shape: TableShape;
  /** The lease of the command that replays; null between commands, when a batch commits only while no command runs. */
  owner: string | null;
  /** Most logged changes one batch takes. */
  batch: number;
}

/** Options of a shadow session. */
export interface SessionOptions {
  /** Whether the command runs verbose (exposed as `db.verbose`). */
  verbose: boolean;
  /** Receives each line a migration function logs with `db.log`. */
  log(line: string): void;
}

/**
 * One connection on which migration functions run: plain table names resolve to the shadow copy when
 * it exists and to the origin otherwise (CONTRACT §7). The engine's only view of the shadow tables.
 */
export interface ShadowSession {
  /** The `db` handed to migration functions. */
  readonly db: MigrationDb;
  /** Where `table` currently lives for this session. */
  locate(table: string): Promise<TableLocation>;
  /** Rows of the shadow copy if it exists, else of the origin table; 0 when neither exists. */
  countRows(table: string): Promise<number>;
  /** Copies an origin table with its rows, indexes and constraints into the shadow; returns the rows copied. */
  copyToShadow(table: string): Promise<number>;
  /** Records that a migration dropped `table`, so later migrations neither see nor re-copy the origin. */
  markDropped(table: string): Promise<void>;
  /** Creates the shadow copy of an origin table with its columns but without rows, keys or indexes (the `stream` route). */
  createEmptyCopy(table: string): Promise<void>;
  /** Adds the keys, indexes and sequence positions `createEmptyCopy` left out, once the rows are in. */
  completeCopy(table: string): Promise<void>;
  /** Applies declared steps to the shadow copy of `table`, in order. */
  alterShadow(table: string, steps: readonly AlterStep[]): Promise<void>;
  /**
   * Fills the empty shadow copy of `table` from the origin in one statement inside the database: each column
   * from its expression, else from the origin's column of that name, else its default. Returns the rows.
   */
  fillFromOrigin(table: string, expressions: ColumnExpressions): Promise<number>;
  /** Sets columns of every row of the shadow copy of `table` to their expressions over the row, in one statement; returns the rows. */
  updateShadow(table: string, expressions: ColumnExpressions): Promise<number>;
  /**
   * What a worker needs to move the rows of `table` by `route`, each range write fenced by `owner`'s lease;
   * throws when the table cannot be split into key ranges.
   */
  rangePlan(table: string, route: TransformRoute, owner: string): Promise<RangePlan>;
  /** What a worker needs to replay the logged changes of captured `table` into its shadow copy, under `owner`'s lease (null: between commands). */
  replayPlan(table: string, owner: string | null): Promise<ReplayPlan>;
  /** The columns of `table` in the origin and in the shadow copy, with their SQL types. */
  columns(table: string): Promise<{ origin: ColumnType[]; shadow: ColumnType[] }>;
  /**
   * What finalize's swap would trip over with the shadow copies as they are now, one readable line per problem
   * (empty: none): views and triggers over a swapped or dropped table that its new shape breaks, foreign keys of
   * other tables into it that no longer fit. Changes nothing and locks no original table exclusively.
   * `changes` names, per table, the migration that changes it, for the messages.
   */
  checkSwapPrerequisites(changes: SwapChanges): Promise<string[]>;
  /** The key of the `rows`-th row after `after` in the plan's source table, or null when fewer rows remain. */
  rangeEnd(plan: RangePlan, after: unknown[] | null, rows: number): Promise<unknown[] | null>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** A column's name and its SQL type as the store spells it. */
export interface ColumnType {
  /** Column name. */
  name: string;
  /** Declared type. */
  type: string;
}

/** What the atomic finalize swap does besides swapping the tables. */
export interface SwapPlan {
  /** Holder of the run lock; the swap fails without changes if it no longer holds it. */
  owner: string;
  /** Tables named by the finalized migrations: swapped in when shadowed, dropped from the origin otherwise. */
  tables: readonly string[];
  /** Migration records written in the same transaction (state `finalized`), stamped with the swap's time as `finalizedAt`. */
  records: MigrationRecord[];
  /**
   * The finalized migrations' declared in-place steps, in order. Steps of a table the swap replaces are in its
   * shadow copy already and are skipped; the others are applied to the original table by the swap (PostgreSQL
   * builds and drops indexes CONCURRENTLY before it locks anything).
   */
  alters: readonly TableAlter[];
  /**
   * The last output lines of the command, appended in the same transaction that also ends the command
   * (running=false, no exception): a crash leaves either the old data, states and running command, or
   * all of the new. Receives what was swapped; its `lockWindowMs` is only the figure so far (the engine
   * reports the whole window, COMMIT included, through `Store.recordLockWindow` once the swap returned).
   */
  closingOutput(summary: SwapResult): string;
  /**
   * Called once the swap's COMMIT returned, with the whole lock window, before the store's work after the
   * commit (validating foreign keys, dropping the old tables), so what reports the window does not wait for
   * that work. Must not throw.
   */
  committed?(summary: SwapResult): Promise<void>;
  /**
   * The transforms a captured table's changes go through (identity for a copied table), for the shape of its shadow copy, run on the
   * finalizing thread: under the swap's locks the store replays the changes still logged, so nothing
   * written before the locks is missing from the swapped-in table.
   */
  replayMapper(shape: TableShape): RowMapper;
  /**
   * How long the swap waits for its locks in all, in ms, before it gives up with a SwapLocksBusyError and
   * changes nothing (default: the store's own, about 8 s on PostgreSQL, 10 s on SQLite).
   */
  lockWaitMs?: number;
}

/** Declared in-place steps of one table. */
export interface TableAlter {
  /** The table. */
  table: string;
  /** Its steps, in order. */
  steps: readonly AlterStep[];
}

/** What the finalize swap did. */
export interface SwapResult {
  /** Tables replaced by their shadow copies. */
  swapped: string[];
  /** Tables dropped from the origin because the migrations dropped them. */
  dropped: string[];
  /** Milliseconds the swap held (or waited for) the origin's locks: from its first lock request to the COMMIT's return. */
  lockWindowMs: number;
  /** Logged changes replayed under the swap's locks. */
  replayed: number;
}

/** A read-only look at the origin, for `plan`: one transaction in which nothing can be written, rolled back after. */
export interface OriginReader {
  /** The `db` handed to checkPrerequisites: plain names are the origin tables (no shadow copies); writes fail. */
  readonly db: MigrationDb;
  /** Whether the origin has `table`. */
  hasTable(table: string): Promise<boolean>;
  /** Rows of the origin `table`; 0 when it does not exist. */
  countRows(table: string): Promise<number>;
}

/** The shadow half of a store: shadow copies, write protection and the atomic swap, per dialect. */
export interface ShadowStore {
  /** Drops all shadow work (tables, drop marks, staged leftovers) while `owner` holds the running command; throws LeaseLostError otherwise. */
  clearShadow(owner: string): Promise<void>;
  /**
   * Makes the origin `table` reject writes with `message`, while `owner` holds the running command (same
   * transaction); false when the origin has no such table; throws LeaseLostError when `owner` lost it.
   */
  protect(owner: string, table: string, message: string): Promise<boolean>;
  /** Opens the connection migration functions run on. */
  openSession(options: SessionOptions): Promise<ShadowSession>;
  /** Swaps the shadow copies in, sets records and output and ends the command, in one transaction; then empties the shadow. */
  finalizeSwap(plan: SwapPlan): Promise<SwapResult>;
  /** Runs `fn` on a read-only transaction of the origin that is rolled back after it (PostgreSQL: READ ONLY; SQLite: a read-only connection). */
  readOrigin<T>(fn: (reader: OriginReader) => Promise<T>): Promise<T>;
}

/** A complete store: bookkeeping plus shadow work, as the worker's engine uses it. */
export interface Store extends StateStore, ShadowStore {
  /**
   * Ends the command `owner` runs (running=false, endedAt, exception) and writes its last migration
   * records in ONE transaction, so no reader sees a finished state while the command still runs; with
   * `liftProtection` the write protection of every origin table goes in the same transaction, so the
   * origin never becomes writable while a state still promises its shadow copy.
   * False, changing nothing, when `owner` no longer holds the run lock.
   */
  completeCommand(owner: string, records: MigrationRecord[], exception: string | null, liftProtection: boolean): Promise<boolean>;
  /**
   * Marks the finalize `owner` runs as swapping, from when a cancel no longer stops it; false, changing
   * nothing, when it was cancelled first or `owner` no longer runs it (`readThrottle` tells which). Where that
   * write waits for a lock the application holds (SQLite's one write lock), it waits `lockWaitMs` at most (as
   * SwapPlan's) and then throws a SwapLocksBusyError, as the swap would.
   */
  enterSwap(owner: string, lockWaitMs?: number): Promise<boolean>;
  /**
   * After a finalize swap committed: sets `lockWindowMs` on the finalized records of `indexes` and puts `output`
   * (empty: nothing) into the output of the command `owner` ended, in one transaction: before its last line
   * `lastLine` when it ends with it (the contract keeps `finalization finished` last), else at its end. The
   * output stays untouched when another command was claimed since.
   */
  recordLockWindow(owner: string, indexes: readonly number[], lockWindowMs: number, output: string, lastLine: string): Promise<void>;
  /**
   * Closes the connections nothing uses now, keeping everything else: a store kept open between commands
   * (the command thread's) holds no connection while it waits; its next use connects again.
   */
  releaseIdle(): Promise<void>;
}
