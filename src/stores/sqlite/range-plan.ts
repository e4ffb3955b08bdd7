import type { RangePlan, TransformRoute } from "../store.ts";
import type { Connection } from "./connection.ts";
import { quoteIdent } from "./sql.ts";
import { readShape, type SqliteShape } from "./table-shape.ts";

/** An SQLite range plan: the two files a worker opens, and which schema it reads. */
export interface SqliteRangePlan extends RangePlan {
  /** Always `"sqlite"`. */
  dialect: "sqlite";
  /** The shadow table's shape, with its row keying. */
  shape: SqliteShape;
  /** The shadow file (opened as `main`). */
  shadowPath: string;
  /** The database file (attached as `origin`). */
  originPath: string;
  /** Schema the rows are read from: `origin` (`stream`) or `main` (`in-place`). */
  sourceSchema: "origin" | "main";
}

/** The row size is sampled from SAMPLE_WINDOWS stretches of SAMPLE_ROWS rows each, spread over the key range. */
const SAMPLE_WINDOWS = 8;
const SAMPLE_ROWS = 128;

/** The `SqliteRangePlan` of a shadow table (the session's main schema). */
export function buildRangePlan(
  db: Connection, paths: { shadowPath: string; originPath: string }, table: string, route: TransformRoute, owner: string,
): SqliteRangePlan {
  const shape = readShape(db, "main", table);
  const sourceSchema = route === "stream" ? "origin" : "main";
  // The source of a stream has the origin's columns, which may be fewer than the copy's (declared new columns).
  const rowBytes = sampledRowBytes(db, sourceSchema, readShape(db, sourceSchema, table));
  return { dialect: "sqlite", route, shape, rowBytes, ...paths, sourceSchema, owner };
}

/**
 * Average bytes of a row of `schema.<shape.table>` (0 when empty): the sum of its values' lengths over
 * up to 1,024 rows, in stretches spread over the rowids (a table whose later rows are wider than its
 * first ones is seen as it is), or its first rows when it has no rowid. Each stretch is an index seek.
 */
function sampledRowBytes(db: Connection, schema: string, shape: SqliteShape): number {
  const size = shape.columns.map((c) => `coalesce(length(CAST(${quoteIdent(c)} AS BLOB)), 0)`).join(" + ") || "0";
  const source = `${schema}.${quoteIdent(shape.table)}`;
  const sample = (where: string, rows: number, ...params: number[]) =>
    db.prepare(`SELECT coalesce(sum(${size}), 0) AS bytes, count(*) AS n FROM (SELECT * FROM ${source} ${where} LIMIT ${rows})`).get(...params) as { bytes: number; n: number };
  const span = shape.byRowid ? (db.prepare(`SELECT min(rowid) AS low, max(rowid) AS high FROM ${source}`).get() as { low: number | null; high: number | null }) : null;
  if (span === null || span.low === null || span.high === null) {
    const { bytes, n } = sample("", SAMPLE_WINDOWS * SAMPLE_ROWS);
    return n === 0 ? 0 : bytes / n;
  }
  let bytes = 0;
  let n = 0;
  for (let w = 0; w < SAMPLE_WINDOWS; w++) {
    const stretch = sample("WHERE rowid >= ? ORDER BY rowid", SAMPLE_ROWS, span.low + Math.floor(((span.high - span.low) * w) / SAMPLE_WINDOWS));
    bytes += stretch.bytes;
    n += stretch.n;
  }
  return n === 0 ? 0 : bytes / n;
}

/** The key expressions of a table: rowid, or the primary key of a WITHOUT ROWID table. */
export function keyExpressions(shape: SqliteShape): string[] {
  return shape.byRowid ? ["rowid"] : shape.keyColumns.map(quoteIdent);
}

/** `key` or `(k1, k2)`, and the matching placeholders. */
export function keyTuple(shape: SqliteShape): { key: string; params: string } {
  const keys = keyExpressions(shape);
  if (keys.length === 1) return { key: keys[0]!, params: "?" };
  return { key: `(${keys.join(", ")})`, params: `(${keys.map(() => "?").join(", ")})` };
}

/** The key of the `rows`-th row after `after` in the plan's source, or null when fewer remain. */
export function rangeEndOf(db: Connection, plan: SqliteRangePlan, after: unknown[] | null, rows: number): unknown[] | null {
  return keyAfter(db, plan.sourceSchema, plan.shape, after, rows);
}

/** The key of the `rows`-th row after `after` (null = from the start) of `schema.<shape.table>`, in key order; null when fewer remain. */
export function keyAfter(db: Connection, schema: string, shape: SqliteShape, after: unknown[] | null, rows: number): unknown[] | null {
  const keys = keyExpressions(shape);
  const { key, params } = keyTuple(shape);
  const where = after === null ? "" : `WHERE ${key} > ${params}`;
  const sql = `SELECT ${keys.join(", ")} FROM ${schema}.${quoteIdent(shape.table)} ${where} ORDER BY ${keys.join(", ")} LIMIT 1 OFFSET ?`;
  const row = db.prepare(sql).raw(true).get(...(after ?? []), rows - 1) as unknown[] | undefined;
  return row ?? null;
}
