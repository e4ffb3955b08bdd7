import type pg from "pg";
import type { MigrationDb, Row } from "../../migrations/types.ts";
import type { RowBatch, SessionOptions, ShadowSession, TableLocation, TableShape } from "../store.ts";
import { postgresMigrationDb } from "./migration-db.ts";
import { type CheckedOut, checkout, inTransaction, type PoolClient } from "./pg-pool.ts";
import { readRowBatch, replaceRowBatch } from "./row-batches.ts";
import { countLocated, ensureShadowSchema, locateTable, markTableDropped, type Schemas } from "./shadow-schema.ts";
import { quoteIdent } from "./sql.ts";
import { copyTableToShadow } from "./table-copy.ts";
import { type PgShape, readShape } from "./table-shape.ts";

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
  private readonly shapes = new Map<string, PgShape>();

  private constructor(
    private readonly held: CheckedOut,
    private readonly schemas: Schemas,
    options: SessionOptions,
  ) {
    this.db = postgresMigrationDb((fn) => this.serialized(fn), options);
  }

  /** Checks out the client, creates the shadow schema and puts it first on the search path. */
  static async open(pool: pg.Pool, schemas: Schemas, options: SessionOptions): Promise<PostgresShadowSession> {
    const held = await checkout(pool);
    try {
      await ensureShadowSchema(held.client, schemas);
      const { rows } = await held.client.query<{ path: string }>("SELECT current_setting('search_path') AS path");
      const rest = rows[0]!.path.trim();
      await held.client.query(`SET search_path TO ${quoteIdent(schemas.shadow)}${rest === "" ? "" : `, ${rest}`}`);
      return new PostgresShadowSession(held, schemas, options);
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

  /** Reads the shape fresh (the schema may have changed since the last call). */
  async shape(table: string): Promise<TableShape> {
    const shape = await this.serialized((client) => readShape(client, this.schemas.shadow, table));
    this.shapes.set(table, shape);
    return shape;
  }

  /** Keyset read on the shadow table, in primary key order. */
  async readBatch(shape: TableShape, after: unknown[] | null, limit: number): Promise<RowBatch> {
    const pgShape = await this.pgShape(shape);
    return this.serialized((client) => readRowBatch(client, pgShape, after, limit));
  }

  /** Delete-and-insert write-back in one transaction. */
  async replaceRows(shape: TableShape, keys: unknown[][], rows: (Row | null)[]): Promise<void> {
    const pgShape = await this.pgShape(shape);
    await this.serialized((client) => replaceRowBatch(client, pgShape, keys, rows));
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

  private async pgShape(shape: TableShape): Promise<PgShape> {
    return this.shapes.get(shape.table) ?? ((await this.shape(shape.table)) as PgShape);
  }
}
