import type { MigrationDb, Row } from "../../migrations/types.ts";
import type { RowBatch, SessionOptions, ShadowSession, TableLocation, TableShape } from "../store.ts";
import { type Connection, inWriteTransaction, openConnection } from "./connection.ts";
import { sqliteMigrationDb } from "./migration-db.ts";
import { readRowBatch, replaceRowBatch } from "./row-batches.ts";
import { copyTableIntoMain } from "./table-copy.ts";
import { droppedTables, markTableDropped, schemaHasTable } from "./shadow-file.ts";
import { quoteIdent } from "./sql.ts";
import { type SqliteShape, readShape } from "./table-shape.ts";

/**
 * A connection whose main database is the shadow file, with the origin attached as `origin`: SQLite
 * resolves plain names temp → main → attached, so a plain name is the shadow copy when there is one.
 */
export class SqliteShadowSession implements ShadowSession {
  /** The `db` handed to migration functions. */
  readonly db: MigrationDb;
  private readonly conn: Connection;
  private readonly shapes = new Map<string, SqliteShape>();

  /** Opens the shadow file and attaches the origin; foreign keys stay off (checked at finalize). */
  constructor(shadowPath: string, originPath: string, options: SessionOptions) {
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
    return inWriteTransaction(this.conn, () => copyTableIntoMain(this.conn, "origin", table));
  }

  /** Writes the drop mark into the shadow file. */
  async markDropped(table: string): Promise<void> {
    markTableDropped(this.conn, "main", table);
  }

  /** Reads the shape fresh (the schema may have changed since the last call). */
  async shape(table: string): Promise<TableShape> {
    const shape = readShape(this.conn, "main", table);
    this.shapes.set(table, shape);
    return shape;
  }

  /** Keyset read on the shadow table. */
  async readBatch(shape: TableShape, after: unknown[] | null, limit: number): Promise<RowBatch> {
    return readRowBatch(this.conn, this.sqliteShape(shape), after, limit);
  }

  /** Delete-and-insert write-back in one transaction. */
  async replaceRows(shape: TableShape, keys: unknown[][], rows: (Row | null)[]): Promise<void> {
    replaceRowBatch(this.conn, this.sqliteShape(shape), keys, rows);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.conn.open) this.conn.close();
  }

  private sqliteShape(shape: TableShape): SqliteShape {
    return this.shapes.get(shape.table) ?? readShape(this.conn, "main", shape.table);
  }
}
