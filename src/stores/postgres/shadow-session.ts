import type pg from "pg";
import type { AlterStep } from "../../migrations/alter-steps.ts";
import type { ColumnExpressions } from "../../migrations/sql-expression.ts";
import type { MigrationDb } from "../../migrations/types.ts";
import type { ColumnType, RangePlan, ReplayPlan, SessionOptions, ShadowSession, TableLocation, TransformRoute } from "../store.ts";
import { alterShadowTable, fillShadowFromOrigin, updateShadowTable } from "./expression-copy.ts";
import { postgresMigrationDb } from "./migration-db.ts";
import { type CheckedOut, checkout, inTransaction, type PoolClient } from "./pg-pool.ts";
import { buildRangePlan, type PgRangePlan, rangeEndOf } from "./range-plan.ts";
import { buildReplayPlan } from "./replay.ts";
import { columnTypes } from "./table-shape.ts";
import { countLocated, ensureShadowSchema, locateTable, markTableDropped, type Schemas } from "./shadow-schema.ts";
import { quoteIdent } from "./sql.ts";
import { swapPrerequisiteProblems } from "./prerequisite-checks.ts";
import type { SwapChanges } from "../swap-prerequisites.ts";
import { completeShadowTable, copyTableToShadow, createEmptyShadowTable } from "./table-copy.ts";

/**
 * One pinned client with `search_path = <shadow>, <the connection's own path>`: plain names resolve to
 * the shadow copy first, then the origin (CONTRACT §7), and CREATE TABLE lands in the shadow. Statements
 * run in autocommit, so a failed migration leaves its shadow work for inspection; copies and row batches
 * run in their own transactions. The origin is never written here except by a migration naming it explicitly.
 */
export class PostgresShadowSession implements ShadowSession {
  /** The `db` handed to migration functions. */
  readonly db: MigrationDb;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly held: CheckedOut,
    private readonly schemas: Schemas,
    private readonly commandTable: string,
    private readonly url: string,
    options: SessionOptions,
  ) {
    this.db = postgresMigrationDb((fn) => this.serialized(fn), options);
  }

  /** Checks out the client, creates the shadow schema and puts it first on the search path. */
  static async open(pool: pg.Pool, schemas: Schemas, commandTable: string, url: string, options: SessionOptions): Promise<PostgresShadowSession> {
    const held = await checkout(pool);
    try {
      await ensureShadowSchema(held.client, schemas);
      const { rows } = await held.client.query<{ path: string }>("SELECT current_setting('search_path') AS path");
      const rest = rows[0]!.path.trim();
      await held.client.query(`SET search_path TO ${quoteIdent(schemas.shadow)}${rest === "" ? "" : `, ${rest}`}`);
      return new PostgresShadowSession(held, schemas, commandTable, url, options);
    } catch (error) {
      held.release(true);
      throw error;
    }
  }

  /** Shadow copy first, then a drop mark, then the origin. */
  async locate(table: string): Promise<TableLocation> {
    return this.serialized((client) => locateTable(client, this.schemas, table));
  }

  /** Counts rows where a plain name points. */
  async countRows(table: string): Promise<number> {
    return this.serialized((client) => countLocated(client, this.schemas, table));
  }

  /** Copies the table inside the database, in one transaction. */
  async copyToShadow(table: string): Promise<number> {
    return this.serialized((client) => inTransaction(client, () => copyTableToShadow(client, this.schemas, table)));
  }

  /** Writes the drop mark into the shadow schema. */
  async markDropped(table: string): Promise<void> {
    await this.serialized((client) => markTableDropped(client, this.schemas, table));
  }

  /** Creates the shadow table from the origin's definition, without rows, keys or indexes. */
  async createEmptyCopy(table: string): Promise<void> {
    await this.serialized((client) => createEmptyShadowTable(client, this.schemas, table));
  }

  /** Adds keys and indexes (built once over all rows) and aligns identity sequences. */
  async completeCopy(table: string): Promise<void> {
    await this.serialized((client) => inTransaction(client, () => completeShadowTable(client, this.schemas, table)));
  }

  /** Runs each step's statement on the shadow copy. */
  async alterShadow(table: string, steps: readonly AlterStep[]): Promise<void> {
    await this.serialized((client) => inTransaction(client, () => alterShadowTable(client, this.schemas, table, steps)));
  }

  /** One INSERT … SELECT with the expressions, in its own transaction. */
  async fillFromOrigin(table: string, expressions: ColumnExpressions): Promise<number> {
    return this.serialized((client) => inTransaction(client, () => fillShadowFromOrigin(client, this.schemas, table, expressions)));
  }

  /** One UPDATE with the expressions. */
  async updateShadow(table: string, expressions: ColumnExpressions): Promise<number> {
    return this.serialized((client) => updateShadowTable(client, this.schemas, table, expressions));
  }

  /** Reads the shadow table's shape fresh (the schema may have changed) into a plan for the workers. */
  async rangePlan(table: string, route: TransformRoute, owner: string): Promise<RangePlan> {
    return this.serialized((client) => buildRangePlan(client, this.schemas, this.url, table, route, { owner, commandTable: this.commandTable }));
  }

  /** Reads both shapes fresh into a plan for the replaying workers. */
  async replayPlan(table: string, owner: string | null): Promise<ReplayPlan> {
    return this.serialized((client) => buildReplayPlan(client, this.schemas, table, owner, this.url));
  }

  /** Columns and `format_type` of the origin and the shadow table. */
  async columns(table: string): Promise<{ origin: ColumnType[]; shadow: ColumnType[] }> {
    return this.serialized(async (client) => ({
      origin: await columnTypes(client, this.schemas.origin, table),
      shadow: await columnTypes(client, this.schemas.shadow, table),
    }));
  }

  /** An index scan of `rows` keys past `after`. */
  async rangeEnd(plan: RangePlan, after: unknown[] | null, rows: number): Promise<unknown[] | null> {
    return this.serialized((client) => rangeEndOf(client, plan as PgRangePlan, after, rows));
  }

  /** Tries what the swap will do in a transaction that is rolled back (see swapPrerequisiteProblems). */
  async checkSwapPrerequisites(changes: SwapChanges): Promise<string[]> {
    return this.serialized((client) => swapPrerequisiteProblems(client, this.schemas, changes));
  }

  /** Waits for pending calls, then destroys the connection: its search path and any session settings a migration made die with it. */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    this.held.release(true);
  }

  private serialized<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const next = this.chain.then(() => fn(this.held.client));
    this.chain = next.catch(() => {});
    return next;
  }
}
