import type { AlterStep } from "./alter-steps.ts";
import { type ColumnExpressions, isColumnExpressions } from "./sql-expression.ts";

/** The SQL dialect behind a migration's `db`. */
export type Dialect = "postgres" | "sqlite";

/** A row as the database returns it: column name to value. */
export type Row = Record<string, unknown>;

/**
 * What every migration function receives. Plain table names mean the shadow copy of each table in
 * the migration's `tables` and the origin table otherwise, so authors never write shadow names.
 */
export interface MigrationDb {
  /** `"postgres"` or `"sqlite"`, for the rare migration that needs dialect-specific SQL. */
  readonly dialect: Dialect;
  /** True when the command was started with `verbose: true`. */
  readonly verbose: boolean;
  /** Runs one statement with positional parameters (`?` on SQLite, `$1` on PostgreSQL) and returns its rows. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Appends one line to the command's `output`. */
  log(line: string): void;
}

/** Maps one row to its new row, or `null` to delete it. Must be pure: it runs in parallel batches. */
export type RowTransform = (row: Row) => Row | null | Promise<Row | null>;

/** A table's transform: a JS row function, or new column values as SQL expressions the database computes in its own copy. */
export type TableTransform = RowTransform | ColumnExpressions;

/** The default export of a migration file `NNNN_description.{ts,js,mjs}` (CONTRACT §7). */
export interface Migration {
  /** Tables the migration changes or creates; each gets a shadow copy. Required; empty only when `alter` says everything. */
  tables: readonly string[];
  /**
   * Changes the database makes in place, per table (`addColumn`, `dropColumn`, `renameColumn`, `createIndex`,
   * `dropIndex`). A table named only here gets no shadow copy: its steps are applied to the original at finalize.
   * A table in `tables` gets them on its shadow copy, before `dataDefinition`.
   */
  alter?: Readonly<Record<string, readonly AlterStep[]>>;
  /** Returns a non-empty text to refuse to run (it becomes the exception); runs against current data. */
  checkPrerequisites?(db: MigrationDb): Promise<string | undefined | void> | string | undefined | void;
  /** Schema changes on the shadow copies. */
  dataDefinition?(db: MigrationDb): Promise<void> | void;
  /** Per-table transforms (a row function, or column values as SQL expressions), applied after `dataDefinition`; keys must be in `tables`. */
  transform?: Readonly<Record<string, TableTransform>>;
  /** SQL data changes on the shadow copies, after the transforms. */
  dataManipulation?(db: MigrationDb): Promise<void> | void;
  /** Runs in finalize, before the swap. */
  cleanup?(db: MigrationDb): Promise<void> | void;
  /**
   * What the application may do with the migration's tables while they migrate: `"capture"` (the default
   * where it is exact) keeps them writable and replays each change into the shadow copy; `"protect"`
   * refuses writes until finalize, as for tables changed by `dataManipulation` or `cleanup` (CONTRACT §7).
   */
  writes?: "capture" | "protect";
}

/** Identity helper that only adds types to a migration object. */
export function defineMigration<M extends Migration>(migration: M): M {
  return migration;
}

/** A loaded, validated migration file. */
export interface LoadedMigration {
  /** The NNNN prefix of the file name, a positive integer. */
  readonly index: number;
  /** The file name without extension, e.g. `0002_split_address`. */
  readonly name: string;
  /** Absolute path of the file, so worker threads can import it themselves. */
  readonly path: string;
  /** sha256 of the file's bytes, to warn when a finalized migration's file changed. */
  readonly checksum: string;
  /** The validated default export. */
  readonly migration: Migration;
}

/** The JS row function of `table` in `migration`, if its transform is one. */
export function rowTransformOf(migration: Migration, table: string): RowTransform | undefined {
  const transform = migration.transform?.[table];
  return typeof transform === "function" ? transform : undefined;
}

/** The SQL-expression transform of `table` in `migration`, if its transform is one. */
export function columnExpressionsOf(migration: Migration, table: string): ColumnExpressions | undefined {
  const transform = migration.transform?.[table];
  return isColumnExpressions(transform) ? transform : undefined;
}
