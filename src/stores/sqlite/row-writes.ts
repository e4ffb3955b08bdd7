import Database, { type Statement } from "better-sqlite3";
import type { Row } from "../../migrations/types.ts";
import { keyText, RowRefusedError } from "../row-refusal.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent, toBindable } from "./sql.ts";
import type { SqliteShape } from "./table-shape.ts";

/**
 * Inserts transform results into `<schema>.<table>` (default `main`) with one prepared statement per set of columns (null =
 * row dropped). Rowid tables keep each row's rowid (`keys`), so key order and later ranges stay as they were.
 */
export function insertRows(db: Connection, shape: SqliteShape, keys: readonly unknown[][], rows: readonly (Row | null)[], schema = "main"): void {
  const pending = new PendingInserts(shape, schema);
  pending.add(keys, rows);
  pending.write(db);
}

/** Rows one INSERT statement takes: fewer statements to step, while a statement's parameters stay within SQLite's oldest limit. */
const ROWS_PER_INSERT = 50;
const MAX_PARAMETERS = 999;

/** The rows of one set of columns, as the flat list of values their INSERTs bind. */
interface InsertGroup {
  /** The columns set, `rowid` first when the row keeps its rowid (quoted). */
  names: string[];
  /** The columns set (as the rows name them). */
  columns: string[];
  keepRowid: boolean;
  /** The values bound, row after row (toBindable's conversions inline). */
  values: unknown[];
  rows: number;
}

/**
 * Transform results for one table, turned into the values their INSERTs bind as they come (a chunk at a
 * time, so the row objects of a chunk die young), grouped by the columns they set; `write` inserts them
 * with statements of up to 50 rows each.
 */
export class PendingInserts {
  private readonly groups = new Map<Signature, InsertGroup>();
  private readonly table: string;

  constructor(
    private readonly shape: SqliteShape,
    schema = "main",
  ) {
    this.table = `${schema}.${quoteIdent(shape.table)}`;
  }

  /** Adds the non-null `rows`; `keys[i]` is the key `rows[i]` was read with (its rowid on a rowid table). */
  add(keys: readonly (readonly unknown[])[], rows: readonly (Row | null)[]): void {
    const { writableColumns: writable, byRowid, rowidAlias } = this.shape;
    let last: InsertGroup | undefined;
    let lastSignature: Signature = -1;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row === null || row === undefined) continue;
      const keepRowid = byRowid && (rowidAlias === null || !(rowidAlias in row));
      const signature = signatureOf(writable, row, keepRowid);
      let group = last !== undefined && signature === lastSignature ? last : this.groups.get(signature);
      if (group === undefined) {
        const columns = writable.filter((c) => c in row);
        group = { names: [...(keepRowid ? ["rowid"] : []), ...columns.map(quoteIdent)], columns, keepRowid, values: [], rows: 0 };
        this.groups.set(signature, group);
      }
      last = group;
      lastSignature = signature;
      const { values, columns } = group;
      if (keepRowid) values.push(keys[i]![0]);
      for (let c = 0; c < columns.length; c++) values.push(toBindable(row[columns[c]!]));
      group.rows++;
    }
  }

  /** Inserts what was added; call inside the write transaction. */
  write(db: Connection): void {
    for (const group of this.groups.values()) {
      const { names, values, rows } = group;
      if (names.length === 0) {
        const insert = statementOf(db, `INSERT INTO ${this.table} DEFAULT VALUES`);
        for (let i = 0; i < rows; i++) insert.run();
        continue;
      }
      const width = names.length;
      const perStatement = Math.max(1, Math.min(ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / width)));
      const many = statementOf(db, insertSql(this.table, names, perStatement));
      const one = statementOf(db, insertSql(this.table, names, 1));
      let at = 0;
      try {
        for (; at + perStatement * width <= values.length; at += perStatement * width) many.run(values.slice(at, at + perStatement * width));
      } catch (error) {
        // Which row the database refused: the failed statement stored none of them, so they go in one at a time.
        if (!isRowRefusal(error)) throw error;
        for (let end = at + perStatement * width; at < end; at += width) this.insertOne(one, group, values.slice(at, at + width));
        throw error;
      }
      for (; at < values.length; at += width) this.insertOne(one, group, values.slice(at, at + width));
    }
  }

  /** Inserts one row's `values`; a refusal names the table and the row's key. */
  private insertOne(one: Statement<unknown[]>, group: InsertGroup, values: unknown[]): void {
    try {
      one.run(values);
    } catch (error) {
      if (!isRowRefusal(error)) throw error;
      const { keyColumns, table } = this.shape;
      const offset = group.keepRowid ? 1 : 0;
      const key = keyColumns.length > 0 && keyColumns.every((k) => group.columns.includes(k))
        ? keyText(keyColumns, keyColumns.map((k) => values[offset + group.columns.indexOf(k)]))
        : group.keepRowid ? keyText(["rowid"], [values[0]]) : "";
      // SQLite's message names the column itself (`NOT NULL constraint failed: item.name`).
      throw new RowRefusedError(table, key, error.message, undefined, { cause: error });
    }
  }
}

/** A constraint or a value of the wrong type (STRICT tables): the row's fault, not the connection's (busy, I/O). */
function isRowRefusal(error: unknown): error is InstanceType<typeof Database.SqliteError> {
  return error instanceof Database.SqliteError && (error.code.startsWith("SQLITE_CONSTRAINT") || error.code === "SQLITE_MISMATCH");
}

/** Which writable columns a row sets, and whether it keeps its rowid: a bit each (a string past 30 columns). */
type Signature = number | string;

function signatureOf(writable: readonly string[], row: Row, keepRowid: boolean): Signature {
  if (writable.length < 31) {
    let bits = keepRowid ? 1 : 0;
    for (let c = 0; c < writable.length; c++) if (writable[c]! in row) bits |= 2 << c;
    return bits;
  }
  let text = keepRowid ? "r" : "-";
  for (let c = 0; c < writable.length; c++) text += writable[c]! in row ? "1" : "0";
  return text;
}

function insertSql(table: string, names: readonly string[], rows: number): string {
  const tuple = `(${names.map(() => "?").join(", ")})`;
  return `INSERT INTO ${table} (${names.join(", ")}) VALUES ${Array.from({ length: rows }, () => tuple).join(", ")}`;
}

/** Prepared statements per connection, by SQL: a range's inserts are parsed once per thread, not once per range. */
const statements = new WeakMap<Connection, Map<string, Statement<unknown[]>>>();

function statementOf(db: Connection, sql: string): Statement<unknown[]> {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
