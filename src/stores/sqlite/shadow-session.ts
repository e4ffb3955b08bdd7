import type { AlterStep } from "../../migrations/alter-steps.ts";
import type { ColumnExpressions } from "../../migrations/sql-expression.ts";
import type { MigrationDb } from "../../migrations/types.ts";
import type { ColumnType, RangePlan, ReplayPlan, SessionOptions, ShadowSession, TableLocation, TransformRoute } from "../store.ts";
import { type Connection, inDeferredTransaction, openConnection } from "./connection.ts";
import { alterTableIn, fillFrom, updateAll } from "./expression-copy.ts";
import { sqliteMigrationDb } from "./migration-db.ts";
import { buildRangePlan, rangeEndOf, type SqliteRangePlan } from "./range-plan.ts";
import { buildReplayPlan } from "./replay.ts";
import { completeTableInMain, copyTableIntoMain, createEmptyTableInMain } from "./table-copy.ts";
import { droppedTables, markTableDropped, schemaHasTable } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { swapPrerequisiteProblems } from "./prerequisite-checks.ts";
import type { SwapChanges } from "../swap-prerequisites.ts";

/**
 * A connection whose main database is the shadow file, with the origin attached as `origin`: SQLite
 * resolves plain names temp → main → attached, so a plain name is the shadow copy when there is one.
 */
export class SqliteShadowSession implements ShadowSession {
  /** The `db` handed to migration functions. */
  readonly db: MigrationDb;
  private readonly conn: Connection;

  /** Opens the shadow file and attaches the origin; foreign keys stay off (checked at finalize). */
  constructor(
    private readonly shadowPath: string,
    private readonly originPath: string,
    options: SessionOptions,
  ) {
    this.conn = openConnection(shadowPath);
    this.conn.pragma("foreign_keys = OFF");
    this.conn.prepare("ATTACH DATABASE ? AS origin").run(originPath);
    this.db = sqliteMigrationDb(this.conn, options);
  }

  /** Shadow copy first, then a drop mark, then the origin. */
  async locate(table: string): Promise<TableLocation> {
    if (schemaHasTable(this.conn, "main", table)) return "shadow";
    if (droppedTables(this.conn, "main").includes(table)) return "none";
    return schemaHasTable(this.conn, "origin", table) ? "origin" : "none";
  }

  /** Counts rows where a plain name points. */
  async countRows(table: string): Promise<number> {
    const location = await this.locate(table);
    if (location === "none") return 0;
    const schema = location === "shadow" ? "main" : "origin";
    const row = this.conn.prepare(`SELECT count(*) AS n FROM ${schema}.${quoteIdent(table)}`).get() as { n: number };
    return row.n;
  }

  /** Creates the table and its indexes from the origin's SQL and copies the rows inside the database. */
  async copyToShadow(table: string): Promise<number> {
    return inDeferredTransaction(this.conn, () => copyTableIntoMain(this.conn, "origin", table));
  }

  /** Writes the drop mark into the shadow file. */
  async markDropped(table: string): Promise<void> {
    markTableDropped(this.conn, "main", table);
  }

  /** Creates the table from the origin's SQL, without rows or explicit indexes. */
  async createEmptyCopy(table: string): Promise<void> {
    inDeferredTransaction(this.conn, () => createEmptyTableInMain(this.conn, "origin", table));
  }

  /** Creates the explicit indexes over all rows and carries the AUTOINCREMENT counter over. */
  async completeCopy(table: string): Promise<void> {
    inDeferredTransaction(this.conn, () => completeTableInMain(this.conn, "origin", table));
  }

  /** Runs each step's statement on the shadow copy, in one transaction. */
  async alterShadow(table: string, steps: readonly AlterStep[]): Promise<void> {
    inDeferredTransaction(this.conn, () => alterTableIn(this.conn, "main", table, steps));
  }

  /** One INSERT … SELECT with the expressions. */
  async fillFromOrigin(table: string, expressions: ColumnExpressions): Promise<number> {
    return inDeferredTransaction(this.conn, () => fillFrom(this.conn, "origin", table, expressions));
  }

  /** One UPDATE with the expressions. */
  async updateShadow(table: string, expressions: ColumnExpressions): Promise<number> {
    return inDeferredTransaction(this.conn, () => updateAll(this.conn, table, expressions));
  }

  /** Reads both shapes fresh into a plan for the replaying workers. */
  async replayPlan(table: string, owner: string | null): Promise<ReplayPlan> {
    return buildReplayPlan(this.conn, { shadow: "main", origin: "origin" }, { shadowPath: this.shadowPath, originPath: this.originPath }, table, owner);
  }

  /** Columns and declared types of the origin and the shadow table. */
  async columns(table: string): Promise<{ origin: ColumnType[]; shadow: ColumnType[] }> {
    const of = (schema: string) => this.conn.prepare(`SELECT name, type FROM pragma_table_info(?, ?)`).all(table, schema) as ColumnType[];
    return { origin: of("origin"), shadow: of("main") };
  }

  /** Reads the shadow table's shape fresh (the schema may have changed) into a plan for the workers. */
  async rangePlan(table: string, route: TransformRoute, owner: string): Promise<RangePlan> {
    return buildRangePlan(this.conn, { shadowPath: this.shadowPath, originPath: this.originPath }, table, route, owner);
  }

  /** An index scan of `rows` keys past `after`. */
  async rangeEnd(plan: RangePlan, after: unknown[] | null, rows: number): Promise<unknown[] | null> {
    return rangeEndOf(this.conn, plan as SqliteRangePlan, after, rows);
  }

  /** Creates each view and trigger again as a TEMP object over the shadow copies and compiles it (see swapPrerequisiteProblems). */
  async checkSwapPrerequisites(changes: SwapChanges): Promise<string[]> {
    return swapPrerequisiteProblems(this.conn, changes);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.conn.open) this.conn.close();
  }
}
