import type { Dialect, MigrationDb } from "../migrations/types.ts";
import type { KeyRange, RangePlan, ReplayPlan, RowMapper, Store } from "./store.ts";

/** The prefix of every table the service itself creates in a database, on every store (`_migration_state`, …). */
export const SERVICE_TABLE_PREFIX = "_migration_";

/** A MigrationDb on one connection of its own (the demo seeding runs on one), and its close. */
export interface SingleConnectionDb extends MigrationDb {
  /** The tables of the database the service works on (SQLite's main database, PostgreSQL's current schema), by name. */
  tableNames(): Promise<string[]>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Everything the rest of the service needs to know about one store, in one row of the driver table
 * (drivers.ts): a third store is one folder plus one row.
 */
export interface StoreDriver {
  /** The dialect, as range plans and migration dbs name it. */
  readonly dialect: Dialect;
  /** The URL schemes it serves, lowercase, without the colon. */
  readonly schemes: readonly string[];
  /** The canonical form of a URL of this store (an SQLite path made absolute against `cwd`); a StartupError when it cannot serve it. */
  canonicalUrl(url: string, cwd: string): string;
  /**
   * Checks, before anything opens the database, that it can be where the URL says: an SQLite file's directory
   * must exist (it is created when `create`), else a StartupError naming it. Nothing to check for a server.
   */
  checkLocation(url: string, create: boolean): void;
  /**
   * Creates the store of a canonical URL; call `init()` next. `existing`: the database must be there already
   * (SQLite: never create the file), for stores opened after the service started.
   */
  createStore(url: string, existing?: boolean): Store;
  /** Worker-thread side of a transform: moves one key range of a plan of this dialect on the thread's own connection. */
  moveRange(plan: RangePlan, range: KeyRange, map: RowMapper): Promise<number>;
  /**
   * Worker-thread side of a replay: replays one batch of the plan's logged changes on the thread's own
   * connection; resolves to the changes consumed, 0 when none are logged. Throws LeaseLostError when the
   * plan's command lost its lease, ReplayYielded when a command started under a replay between commands.
   */
  replayBatch(plan: ReplayPlan, map: RowMapper): Promise<number>;
  /** Opens a MigrationDb on a connection of its own, e.g. to seed the demo before the service starts. */
  openSingleDb(url: string): Promise<SingleConnectionDb>;
}
